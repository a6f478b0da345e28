"""Context traces in Python: read from files and from a ``context=`` array (strings or
integers), run with per-context policies to the numbers the command line prints (per-context
results included), refused for per-context policies without contexts, and told to the live
learner sample by sample."""

from __future__ import annotations

import numpy as np
import pytest

import splitee
from conftest import REPO, cli_json

MIXED = REPO / "datasets" / "sparsity-mnist-dense-mixed.csv"
# experiments/context-mnist.toml at o = 0.2.
SETTINGS = dict(alpha=0.9, lambda_=0.05, cost=0.2, runs=3, seed=0)
FLAGS = ["--alpha", 0.9, "--lambda", 0.05, "--offload-cost", 0.2, "--runs", 3, "--seed", 0]
POLICIES = ["per-context:splitee-s", "splitee-s"]


def test_per_context_results_equal_the_cli_on_the_mixed_trace(cli):
    flags = [a for p in POLICIES for a in ("--policy", p)]
    expected = cli_json(cli, "run", "--trace", MIXED, *flags, *FLAGS)
    result = splitee.run(str(MIXED), POLICIES, **SETTINGS)
    assert result.to_dict() == expected
    per_context = expected["results"][0]["contexts"]
    assert sorted(c["context"] for c in per_context) == [
        "blur1", "clean", "noise0.2", "noise0.4", "noise0.6"]
    assert all(c["samples"] == 3000 for c in per_context)
    assert all(0 < c["accuracy"]["mean"] <= 1 and c["cost_per_sample"]["mean"] > 0
               for c in per_context)
    # One learner per distortion: the heavy noises settle on the final exit, the rest on
    # exit 1; one learner for all plays one arm everywhere.
    arms = {c["context"]: c["learned_arm"] for c in per_context}
    assert arms == {"clean": 1, "noise0.2": 1, "blur1": 1, "noise0.4": 3, "noise0.6": 3}
    assert {c["learned_arm"] for c in expected["results"][1]["contexts"]} == {1}
    frame = result.contexts_to_pandas()
    assert len(frame) == 10
    clean = frame.loc[("per-context:splitee-s", "clean")]
    by_name = {c["context"]: c for c in per_context}
    assert clean["reward_per_sample"] == by_name["clean"]["reward_per_sample"]["mean"]
    assert clean["accuracy_ci95"] == by_name["clean"]["accuracy"]["ci95"]


def test_contexts_from_arrays_equal_the_files():
    loaded = splitee.load(MIXED)
    assert loaded.contexts == ["noise0.2", "noise0.4", "clean", "blur1", "noise0.6"]
    conf, pred, label, _ = loaded.arrays()
    context = loaded.context()
    assert len(context) == loaded.samples == 15000
    from_file = splitee.run(loaded, POLICIES, **SETTINGS).to_dict()["results"]
    from_strings = splitee.from_arrays(conf, pred, label, context=np.array(context))
    assert "5 contexts" in repr(from_strings)
    assert splitee.run(from_strings, POLICIES, **SETTINGS).to_dict()["results"] == from_file
    # Integers are contexts too, named by their digits.
    codes = np.array([loaded.contexts.index(c) for c in context], dtype=np.int32)
    from_codes = splitee.from_arrays(conf, pred, label, context=codes)
    assert from_codes.contexts == ["0", "1", "2", "3", "4"]
    results = splitee.run(from_codes, POLICIES, **SETTINGS).to_dict()["results"]
    for coded, named in zip(results[0]["contexts"], from_file[0]["contexts"]):
        assert loaded.contexts[int(coded["context"])] == named["context"]
        assert coded["reward_per_sample"] == named["reward_per_sample"]


def test_decisions_carry_the_context():
    trace = splitee.load(MIXED)
    result = splitee.run(trace, ["per-context:splitee"], alpha=0.9, runs=1, decisions=True)
    context = np.asarray(trace.context(), dtype=object)
    assert list(result.decisions["context"]) == list(context[result.decisions["sample"]])


def test_per_context_policies_refuse_traces_without_contexts():
    rng = np.random.default_rng(2)
    plain = splitee.from_arrays(rng.random((30, 3)), rng.integers(0, 4, (30, 3)), name="plain")
    assert plain.contexts is None and plain.context() is None
    with pytest.raises(ValueError) as refused:
        splitee.run(plain, ["splitee", "per-context:splitee-s"])
    assert str(refused.value) == ("policy `per-context:splitee-s` needs a trace with a context "
                                  "column; plain has none")
    with pytest.raises(ValueError, match="needs a trace with a context column"):
        splitee.sweep(plain, {"offload": [0.2, 0.3]}, ["per-context-shared:kl-ucb"])


@pytest.mark.parametrize("context,message", [
    (np.array([[1, 2]] * 30), r"array context has shape \[30, 2\]; expected \[samples\]"),
    (np.linspace(0, 1, 30), "array context must hold strings or integers, got float64"),
    (["a"] * 29, r"array context: has shape \[29\]; expected \[30\] to match conf"),
    ([""] * 30, "array context: row 0: column context: is empty"),
])
def test_bad_context_arrays_are_refused_naming_the_array(context, message):
    rng = np.random.default_rng(3)
    with pytest.raises(ValueError, match=message):
        splitee.from_arrays(rng.random((30, 3)), rng.integers(0, 4, (30, 3)), context=context)


def test_the_live_learner_is_told_each_samples_context():
    learner = splitee.LiveLearner(exits=3, policy="per-context:splitee-s", seed=0)
    with pytest.raises(ValueError, match="needs every sample's context, and this one has none"):
        learner.choose()
    decided = []
    for i in range(6):
        context = ["clean", "noisy"][i % 2]
        learner.choose(context)
        decided.append(learner.observe([0.95, 0.97, 0.99], [1, 1, 1]))
    assert [d.context for d in decided] == ["clean", "noisy"] * 3
    # Each context's learner tries the arms on its own clock: arm 1 first in both.
    assert [d.arm for d in decided[:2]] == [1, 1]
    assert '"context":"noisy"' in decided[1].to_json()
    # A policy that is one learner for all ignores the context, and takes samples without one.
    pooled = splitee.LiveLearner(exits=3, policy="splitee-s", seed=0)
    pooled.choose()
    assert pooled.observe([0.95, 0.97, 0.99], [1, 1, 1]).context is None
