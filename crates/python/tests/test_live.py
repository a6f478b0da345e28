"""The live learner decides as `splitee stream` does on the same samples and seed, across a
save and a load, and its state files are the stream's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import splitee
from conftest import decisions_of, noisy_trace, run_cli, softmax

POLICIES = ["splitee-s", "joint-ucb", "thompson", "splitee-s:unbiased", "exp3:0.1",
            "device-ee"]


def samples(n: int = 240):
    logits, label = noisy_trace(samples=n, exits=4, classes=3, seed=5)
    probs = softmax(logits)
    return probs.max(-1), probs.argmax(-1), label


def jsonl(conf, pred, label) -> str:
    return "".join(json.dumps({"conf": c.tolist(), "pred": p.tolist(), "label": int(y)}) + "\n"
                   for c, p, y in zip(conf, pred, label))


def visible(plan: splitee.Plan, conf: np.ndarray) -> int:
    """How many confidences a deployment has: the device's up to the split (or, device-only,
    to the first confident exit), every exit's once the cloud ran."""
    exits = len(conf)
    if plan.split is None:
        confident = np.nonzero(conf[:-1] >= plan.threshold)[0]
        return int(confident[0]) + 1 if len(confident) else exits
    return exits if plan.sends_to_cloud(conf[:plan.split].tolist(), exits) else plan.split


@pytest.mark.parametrize("policy", POLICIES)
def test_decisions_equal_the_streams_across_a_save_and_a_load(cli, tmp_path, policy):
    conf, pred, label = samples()
    half = len(conf) // 2
    flags = ["--policy", policy, "--seed", 9, "--alpha", 0.65, "--offload-cost", 0.4]
    state = tmp_path / "stream.json"
    expected = []
    for part in (slice(0, half), slice(half, None)):
        out = run_cli(cli, "stream", *flags, "--state", state, "-",
                      stdin=jsonl(conf[part], pred[part], label[part]))
        expected += decisions_of(out)

    settings = dict(seed=9, alpha=0.65, cost=0.4)
    learner = splitee.LiveLearner(4, policy, **settings)
    mine = tmp_path / "python.json"
    got = []
    for i in range(len(conf)):
        if i == half:
            learner.save(mine)
            learner = splitee.LiveLearner.load(mine, policy, **settings)
        plan = learner.choose()
        k = visible(plan, conf[i])
        # Only what the device (and the cloud) computed.
        got.append(json.loads(learner.observe(conf[i][:k], pred[i][:k], label=label[i]).to_json()))
    learner.save(mine)

    # The stream numbers samples within each input; the step count runs on.
    strip = lambda ds: [{k: v for k, v in d.items() if k != "sample"} for d in ds]
    assert strip(got) == strip(expected)
    assert [d["t"] for d in got] == list(range(len(conf)))
    assert json.loads(mine.read_text()) == json.loads(state.read_text())


def test_a_state_of_other_settings_is_refused(tmp_path):
    learner = splitee.LiveLearner(4, "splitee-s", seed=1)
    learner.choose()
    learner.observe([0.9, 0.8, 0.7, 0.6], [1, 1, 1, 1])
    path = tmp_path / "s.json"
    learner.save(path)
    with pytest.raises(ValueError):
        splitee.LiveLearner.load(path, "splitee-s", seed=2)
    assert splitee.LiveLearner.load(path, "splitee-s", seed=1).steps == learner.steps


def test_observations_that_do_not_fit_the_plan_are_refused():
    learner = splitee.LiveLearner(4, "fixed:3")
    plan = learner.choose()
    assert plan.split == 3
    with pytest.raises(ValueError, match="the device runs exits 1..=3"):
        learner.observe([0.9], [0])
    with pytest.raises(ValueError, match=r"conf_3 is 1.5; confidences must be in \[0, 1\]"):
        learner.observe([0.1, 0.2, 1.5], [0, 0, 0])
    decision = learner.observe([0.1, 0.2, 0.9], [0, 1, 2], label=2)
    assert (decision.arm, decision.exit, decision.prediction, decision.correct) == (3, 3, 2, True)
    assert not decision.offloaded
    with pytest.raises(ValueError, match="best fixed arm|hindsight|live"):
        splitee.LiveLearner(4, "best-fixed")
