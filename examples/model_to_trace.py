"""Dump a splitee trace and cost profile from a multi-exit model.

The model here is a small multi-exit MLP in numpy, so that the script runs anywhere numpy does;
each step says what the same line is for a PyTorch model. It writes, into OUT_DIR:

  trace.npz           probs [N, L, K] (every exit's softmax), label [N], cost [N, L] (ms)
  trace.csv           the same samples as conf_k, pred_k, cost_k and label columns
  model.profile.json  per split: the device's MACs, the bytes sent, the cloud's MACs

Usage: python3 model_to_trace.py OUT_DIR [--samples N] [--seed S]
Then:  splitee inspect --trace OUT_DIR/trace.npz
       splitee run --trace OUT_DIR/trace.csv --cost-model measured --mu 0.01 --offload-cost 1
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

BYTES_PER_VALUE = 4  # float32 activations sent to the cloud


class MultiExitMLP:
    """Blocks of dense + ReLU layers with a linear exit head after each block.

    In PyTorch: an nn.Module whose forward returns one logits tensor per exit.
    """

    def __init__(self, widths, classes, rng):
        self.blocks = []
        self.heads = []
        for fan_in, fan_out in zip(widths[:-1], widths[1:]):
            self.blocks.append(rng.normal(0, 1 / np.sqrt(fan_in), (fan_in, fan_out)))
            self.heads.append(rng.normal(0, 1 / np.sqrt(fan_out), (fan_out, classes)))

    def exits(self):
        return len(self.blocks)

    def block(self, k, x):
        """Exit k's increment: the layers between exit k-1 and exit k."""
        return np.maximum(x @ self.blocks[k], 0.0)

    def head(self, k, h):
        return h @ self.heads[k]

    def fit_heads(self, x, labels, ridge=1.0):
        """Trains each exit head on its block's features, the blocks frozen (ridge regression on
        one-hot labels, so that the example needs numpy only; with PyTorch, train the heads, or
        the whole network with every exit's loss)."""
        targets = np.eye(self.heads[0].shape[1])[labels]
        h = x
        for k in range(self.exits()):
            h = self.block(k, h)
            gram = h.T @ h + ridge * np.eye(h.shape[1])
            # Scaled so that the softmax is about as sharp as a cross-entropy-trained head's.
            self.heads[k] = 8.0 * np.linalg.solve(gram, h.T @ targets)

    def macs(self, k):
        """Multiply-accumulates of exit k's increment and of its head, per sample."""
        block, head = self.blocks[k], self.heads[k]
        return block.shape[0] * block.shape[1], head.shape[0] * head.shape[1]


def softmax(logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def per_exit_outputs(model, x):
    """Every exit's softmax [N, L, K] and each sample's time per exit increment [N, L] in ms.

    Timing one sample at a time measures what a device pays per sample; with PyTorch, time the
    same way around each block (torch.cuda.synchronize() first on a GPU).
    """
    n, exits = x.shape[0], model.exits()
    probs = None
    cost_ms = np.zeros((n, exits))
    for i in range(n):
        h = x[i : i + 1]
        for k in range(exits):
            start = time.perf_counter_ns()
            h = model.block(k, h)
            logits = model.head(k, h)
            cost_ms[i, k] = (time.perf_counter_ns() - start) / 1e6
            p = softmax(logits)[0]
            if probs is None:
                probs = np.zeros((n, exits, p.shape[0]))
            probs[i, k] = p
    return probs, cost_ms


def cost_profile(model, widths):
    """The profile `--cost-model profile` reads: one entry per split (exit) k.

    device_macs: MACs on the device up to and including exit k's head;
    bytes_sent:  the activations sent when offloading after exit k (0 at the final exit);
    cloud_macs:  MACs the cloud runs to finish the network from split k.
    """
    exits = model.exits()
    block_macs = [model.macs(k)[0] for k in range(exits)]
    head_macs = [model.macs(k)[1] for k in range(exits)]
    splits = []
    for k in range(exits):
        final = k == exits - 1
        splits.append(
            {
                "exit": k + 1,
                "device_macs": sum(block_macs[: k + 1]) + head_macs[k],
                "bytes_sent": 0 if final else widths[k + 1] * BYTES_PER_VALUE,
                "cloud_macs": 0 if final else sum(block_macs[k + 1 :]) + head_macs[-1],
            }
        )
    return {"network": "example-mlp", "widths": widths, "splits": splits}


def write_csv(path, probs, labels, cost_ms):
    conf = probs.max(axis=-1)
    pred = probs.argmax(axis=-1)
    exits = probs.shape[1]
    header = [f"conf_{k}" for k in range(1, exits + 1)]
    header += [f"pred_{k}" for k in range(1, exits + 1)]
    header += [f"cost_{k}" for k in range(1, exits + 1)] + ["label"]
    with open(path, "w") as out:
        out.write(",".join(header) + "\n")
        for i in range(probs.shape[0]):
            cells = [repr(float(c)) for c in conf[i]] + [str(int(p)) for p in pred[i]]
            cells += [repr(float(c)) for c in cost_ms[i]] + [str(int(labels[i]))]
            out.write(",".join(cells) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    widths, classes = [32, 256, 256, 256], 4
    model = MultiExitMLP(widths, classes, rng)
    # Stand-in data: each class shifts the inputs along its own random direction. The heads
    # train on one half; the trace is the other half, held out.
    directions = rng.normal(0, 1, (classes, widths[0]))
    labels = rng.integers(0, classes, 2 * args.samples)
    x = rng.normal(0, 1, (2 * args.samples, widths[0])) + 0.5 * directions[labels]
    model.fit_heads(x[: args.samples], labels[: args.samples])
    x, labels = x[args.samples :], labels[args.samples :]

    probs, cost_ms = per_exit_outputs(model, x)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    np.savez(args.out_dir / "trace.npz", probs=probs, label=labels, cost=cost_ms)
    write_csv(args.out_dir / "trace.csv", probs, labels, cost_ms)
    profile = cost_profile(model, widths)
    (args.out_dir / "model.profile.json").write_text(json.dumps(profile, indent=2) + "\n")
    print(f"{args.samples} samples, {model.exits()} exits, {classes} classes -> {args.out_dir}")


if __name__ == "__main__":
    main()
