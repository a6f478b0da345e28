"""The live learner inside a PyTorch-shaped inference loop (numpy stands in for torch).

For each sample the learner picks the split; the device runs its layers up to it, exiting early
when the split's exit is confident; otherwise the sample goes to the cloud, which runs the rest.
The learner then sees exactly what was computed. The state is saved and restored halfway, as a
deployment restarting would (the files are `splitee stream --state` files).

    python live_loop.py [--samples 3000] [--state learner.json]
"""

import argparse
import os
import tempfile

import numpy as np

import splitee


class MultiExitNet:
    """A stand-in for an `nn.Module` with an exit head after every block: block `k` reads a
    further slice of the input, so deeper exits are surer."""

    def __init__(self, blocks=6, width=18, classes=4, seed=0):
        rng = np.random.default_rng(seed)
        self.centres = rng.normal(0.0, 1.0, (classes, width))
        self.width = width
        self.exits = blocks

    def block(self, k, x):
        """What block `k` (0-based) has computed from the input: the slice it has read."""
        return x[: self.width * (k + 1) // self.exits]

    def exit_head(self, k, h):
        """Softmax of exit `k`: distance to each class's prototype on the slice read."""
        scores = -1.5 * ((self.centres[:, : len(h)] - h) ** 2).sum(axis=1) / np.sqrt(len(h))
        p = np.exp(scores - scores.max())
        return p / p.sum()


def data_loader(net, samples, seed=1):
    rng = np.random.default_rng(seed)
    for _ in range(samples):
        y = int(rng.integers(0, len(net.centres)))
        yield net.centres[y] + rng.normal(0.0, 0.9, net.centres.shape[1]), y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--state", help="state file (default: a temporary one)")
    args = parser.parse_args()
    state = args.state or os.path.join(tempfile.mkdtemp(), "learner.json")

    net = MultiExitNet()
    exits = net.exits
    settings = dict(alpha=0.8, cost=0.3, seed=0)
    learner = splitee.LiveLearner(exits, "splitee-s", **settings)
    correct = offloaded = 0
    for i, (x, y) in enumerate(data_loader(net, args.samples)):
        if i == args.samples // 2:
            learner.save(state)
            learner = splitee.LiveLearner.load(state, "splitee-s", **settings)
        plan = learner.choose()
        conf, pred = [], []
        # Device: the blocks up to the split, stopping at the split if it is confident.
        for k in range(plan.split):
            p = net.exit_head(k, net.block(k, x))
            conf.append(float(p.max()))
            pred.append(int(p.argmax()))
        # Cloud: the remaining blocks, when the split's exit was not confident.
        if plan.sends_to_cloud(conf, exits):
            for k in range(plan.split, exits):
                p = net.exit_head(k, net.block(k, x))
                conf.append(float(p.max()))
                pred.append(int(p.argmax()))
        decision = learner.observe(conf, pred, label=y)
        correct += decision.correct
        offloaded += decision.offloaded

    print(f"{learner.steps} samples, {learner.policy}: accuracy {correct / learner.steps:.3f}, "
          f"offloaded {offloaded / learner.steps:.2f}, total cost {decision.total_cost:.1f}, "
          f"last split {plan.split}")


if __name__ == "__main__":
    main()
