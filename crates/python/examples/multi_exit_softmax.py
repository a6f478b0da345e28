"""A small multi-exit model's per-exit softmax, replayed through SplitEE-S and joint learning.

The model reads Gaussian-blob data block by block, each block with an exit head fitted by ridge
regression: deeper exits see more of the input and are surer. Its per-exit
softmax `[samples, exits, classes]` is what a researcher dumps from a PyTorch early-exit model
(`torch.stack(exit_probs, 1).numpy()`). Runs with numpy alone; with matplotlib installed,
`--plot FILE.png` draws each policy's regret curve.

    python multi_exit_softmax.py [--samples 4000] [--plot regret.png]
"""

import argparse

import numpy as np

import splitee


def multi_exit_softmax(samples, exits=6, classes=5, width=24, seed=0):
    """Per-exit softmax probabilities and labels of a freshly fitted multi-exit model whose
    block `k` reads a further slice of the input (so deeper exits know more)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 0.7, (classes, width))
    label = rng.integers(0, classes, samples)
    x = centres[label] + rng.normal(0.0, 1.0, (samples, width))
    targets = np.eye(classes)[label]
    probs = []
    for k in range(exits):
        seen = np.tanh(x[:, : width * (k + 1) // exits])
        # The exit head: ridge regression from the features so far to the one-hot label.
        head = np.linalg.solve(seen.T @ seen + np.eye(seen.shape[1]), seen.T @ targets)
        scores = 6.0 * (seen @ head)
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        probs.append(p / p.sum(axis=1, keepdims=True))
    return np.stack(probs, axis=1), label


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--plot", help="draw the regret curves into this PNG (needs matplotlib)")
    args = parser.parse_args()

    probs, label = multi_exit_softmax(args.samples)
    trace = splitee.from_probs(probs, label, name="multi-exit-softmax")
    accuracy = (probs.argmax(-1) == label[:, None]).mean(axis=0)
    print(trace, "| accuracy per exit:", np.round(accuracy, 3))

    result = splitee.run(trace, ["splitee-s", "joint-ucb", "final-exit"], runs=10, seed=0,
                         alpha=0.8, cost=0.3)
    for r in result.report["results"]:
        print(f"{r['policy']:>10}: accuracy (fraction) {r['accuracy']['mean']:.3f}, "
              f"cost/sample {r['cost_per_sample']['mean']:.3f}, "
              f"offload (fraction) {r['offload_fraction']['mean']:.2f}, "
              f"regret {r['cumulative_regret']['mean']:.1f} "
              f"+- {r['cumulative_regret']['ci95']:.1f}, learned {r['learned_arm']}"
              + (f"@{r['learned_threshold']}" if r.get("learned_threshold") else ""))

    if args.plot:
        try:
            import matplotlib
        except ImportError:
            print("matplotlib is not installed: no plot")
            return
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        for policy, curves in result.regret_curves.items():
            plt.plot(result.curve_steps, curves.mean(axis=0), label=policy)
        plt.xlabel("samples")
        plt.ylabel("cumulative regret (mean over runs)")
        plt.legend()
        plt.savefig(args.plot, dpi=100)
        print("wrote", args.plot)


if __name__ == "__main__":
    main()
