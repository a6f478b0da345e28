"""The GIL is released while the engine works: a Python thread keeps running during a long
replay, and runs in threads give the numbers they give one at a time. (How much faster two
threads are than one is printed by bench/bench.py, not asserted: the machine may be shared.)"""

from __future__ import annotations

import threading
import time

import numpy as np

import splitee


def big_trace(samples: int = 400_000, exits: int = 12) -> splitee.Trace:
    rng = np.random.default_rng(0)
    conf = np.sort(rng.random((samples, exits)), axis=1)
    return splitee.from_arrays(conf, rng.integers(0, 10, (samples, exits)))


def test_a_python_thread_runs_while_a_replay_runs():
    trace = big_trace()
    stop = threading.Event()
    longest_pause = [0.0]
    iterations = [0]

    def spin() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            now = time.perf_counter()
            longest_pause[0] = max(longest_pause[0], now - last)
            last = now
            iterations[0] += 1

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        # Long enough that a GIL held throughout would pause the spinner for all of it, however
        # fast the machine.
        for runs in (2, 8, 32, 128):
            result = splitee.run(trace, ["splitee-s", "joint-ucb"], runs=runs, order="given")
            if result.engine_seconds > 0.3:
                break
    finally:
        stop.set()
        spinner.join()
    assert result.engine_seconds > 0.3, result.engine_seconds
    assert longest_pause[0] < result.engine_seconds / 2, (longest_pause[0], result.engine_seconds)
    assert iterations[0] > 1000


def test_runs_in_threads_equal_runs_one_at_a_time():
    trace = big_trace(samples=50_000, exits=6)
    settings = [dict(policies=["splitee-s"], seed=s, runs=2) for s in range(4)]
    alone = [splitee.run(trace, **s).to_dict() for s in settings]
    together = [None] * len(settings)

    def work(i: int) -> None:
        together[i] = splitee.run(trace, **settings[i]).to_dict()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(settings))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert together == alone
