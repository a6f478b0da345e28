"""Speed of the Python package, measured side by side in one process:

1. a replay from Python (`splitee.run`, wall time around the call) against the engine's own
   time for the same call (`Result.engine_seconds`, the library's replay and summary) on the
   same 1M x 12 arrays; target: within 1.2x. For reference, `splitee bench` (the library
   called from Rust, on its own synthetic trace of the same shape) when the binary is built;
2. two replays in two Python threads against one alone (the GIL is released: about 1x on two
   free cores, 2x if the GIL were held);
3. the live learner's `choose` + `observe` round trip from Python; target: under 2 us.

    python bench.py [--samples 1000000] [--exits 12] [--repetitions 5]
"""

import argparse
import json
import statistics
import subprocess
import threading
import time

import numpy as np

import splitee

from pathlib import Path

CLI = Path(__file__).resolve().parents[3] / "target" / "release" / "splitee"


def replay(trace, seed=0):
    return splitee.run(trace, ["splitee-s"], runs=1, seed=seed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--exits", type=int, default=12)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--live-steps", type=int, default=200_000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    # float32, as models dump them (the engine then keeps them compact, as `splitee bench` does).
    conf = np.sort(rng.random((args.samples, args.exits), dtype=np.float32), axis=1)
    pred = rng.integers(0, 10, (args.samples, args.exits))
    label = rng.integers(0, 10, args.samples)
    start = time.perf_counter()
    trace = splitee.from_arrays(conf, pred, label)
    print(f"trace from arrays: {args.samples} x {args.exits} in "
          f"{time.perf_counter() - start:.2f} s")

    replay(trace)  # warm up: pages faulted in, caches filled
    python, engine = [], []
    for rep in range(args.repetitions):
        start = time.perf_counter()
        result = replay(trace, seed=rep)
        python.append(time.perf_counter() - start)
        engine.append(result.engine_seconds)
    py_s, rust_s = statistics.median(python), statistics.median(engine)
    print(f"replay, splitee-s, 1 run (median of {args.repetitions}): from Python {py_s:.3f} s, "
          f"engine {rust_s:.3f} s ({args.samples / rust_s / 1e6:.1f} M decisions/s): "
          f"ratio {py_s / rust_s:.3f} (target <= 1.2)")

    if CLI.exists():
        out = subprocess.run([str(CLI), "bench", "--samples", str(args.samples), "--exits",
                              str(args.exits), "--runs", "1", "--repetitions",
                              str(args.repetitions), "--json"], capture_output=True, text=True,
                             check=True).stdout
        rate = json.loads(out)["decisions_per_second"]
        print(f"splitee bench (Rust, synthetic {args.samples} x {args.exits}, splitee-s, 1 run): "
              f"{rate['mean'] / 1e6:.1f} M decisions/s (95% interval +- {rate['ci95'] / 1e6:.1f})")

    alone = statistics.median(_timed(lambda: replay(trace)) for _ in range(3))
    together = []
    for _ in range(3):
        threads = [threading.Thread(target=replay, args=(trace, s)) for s in range(2)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        together.append(time.perf_counter() - start)
    both = statistics.median(together)
    print(f"two replays in two threads {both:.3f} s against one alone {alone:.3f} s: "
          f"ratio {both / alone:.2f} (1 with the GIL released on 2 free cores, 2 if held)")

    learner = splitee.LiveLearner(args.exits, "splitee-s", seed=0)
    rows = [(conf[i].tolist(), pred[i].tolist()) for i in range(args.live_steps)]
    choose, observe = learner.choose, learner.observe
    start = time.perf_counter()
    for c, p in rows:
        choose()
        observe(c, p)
    per = (time.perf_counter() - start) / len(rows)
    print(f"live choose + observe ({args.exits} confidences and predictions as lists): "
          f"{per * 1e6:.2f} us per round trip (target < 2 us)")


def _timed(f):
    start = time.perf_counter()
    f()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
