"""Runs equal `splitee run --json` on the same trace, settings and seed, for every policy of the
zoo; the result's arrays agree with its report."""

from __future__ import annotations

import numpy as np
import pytest

import splitee
from conftest import REPO, cli_json, decisions_of, run_cli

# Every policy family of the zoo, with side observations, observation models and arm sets.
ZOO = [
    "splitee", "splitee-s", "final-exit", "device-ee", "random", "random-run", "fixed:2",
    "best-fixed", "ucb1:0.5", "ucb1:1+s", "ucb-v", "ucb-v+s", "ucb-tuned", "ucb-tuned+s",
    "kl-ucb", "kl-ucb:3", "kl-ucb+s", "bayes-ucb", "bayes-ucb:2", "thompson", "thompson:0.5",
    "thompson+s", "eps-greedy:0.1", "eps-greedy:0.1+s", "eps-greedy:decay",
    "eps-greedy:decay:5+s", "exp3:0.1", "exp3-ix:0.05", "sw-ucb:100", "sw-ucb:100+s",
    "d-ucb:0.99", "d-ucb:0.99+s", "splitee-s:unbiased", "splitee-s:oracle", "joint-ucb",
    "joint:thompson", "threshold:2:splitee-s", "alpha:0.8:ucb1:1",
]


def test_every_policy_of_the_zoo_equals_the_cli(cli, npz_trace):
    flags = [a for p in ZOO for a in ("--policy", p)]
    expected = cli_json(cli, "run", "--trace", npz_trace, *flags, "--runs", 3, "--seed", 11,
                        "--alpha", 0.6, "--offload-cost", 0.3)
    result = splitee.run(str(npz_trace), ZOO, runs=3, seed=11, alpha=0.6, cost=0.3)
    assert result.to_dict() == expected
    assert [r["policy"] for r in expected["results"]] == ZOO


@pytest.mark.parametrize("flags,settings", [
    (["--order", "given", "--runs", 1], dict(order="given", runs=1)),
    (["--observation", "unbiased", "--probe", 0.3], dict(observation="unbiased", probe=0.3)),
    (["--reward", "confidence-gain", "--mu", 0.5], dict(reward="confidence-gain", mu=0.5)),
    (["--lambda", 0.05, "--ucb-c", 2, "--thresholds", "0.6,0.8"],
     dict(lambda_=0.05, ucb_c=2, thresholds=[0.6, 0.8])),
])
def test_settings_mean_what_the_flags_mean(cli, npz_trace, flags, settings):
    policies = ["splitee-s", "joint-ucb", "ucb1:1+s"]
    expected = cli_json(cli, "run", "--trace", npz_trace,
                        *[a for p in policies for a in ("--policy", p)], *flags)
    assert splitee.run(str(npz_trace), policies, **settings).to_dict() == expected


def test_defaults_are_the_cli_defaults(cli, npz_trace):
    expected = cli_json(cli, "run", "--trace", npz_trace)
    result = splitee.run(splitee.load(npz_trace))
    assert result.to_dict() == expected
    assert result.policies == splitee.defaults()["policies"]
    assert expected["settings"]["runs"] == splitee.defaults()["runs"] == 20


def test_measured_costs_from_arrays_equal_the_cli(cli, tmp_path):
    rng = np.random.default_rng(3)
    conf = np.sort(rng.random((300, 4)), axis=1)
    pred = rng.integers(0, 3, (300, 4))
    cost = rng.random((300, 4))
    path = tmp_path / "costs.npz"
    np.savez(path, conf=conf, pred=pred, cost=cost)
    expected = cli_json(cli, "run", "--trace", path, "--cost-model", "measured", "--mu", 0.2,
                        "--policy", "splitee-s", "--policy", "kl-ucb", "--runs", 4)
    trace = splitee.from_arrays(conf, pred, cost=cost, name=str(path))
    got = splitee.run(trace, ["splitee-s", "kl-ucb"], cost_model="measured", mu=0.2, runs=4)
    assert got.to_dict() == expected


def test_curves_and_decisions_agree_with_the_report(npz_trace):
    result = splitee.run(str(npz_trace), ["splitee-s", "joint-ucb"], runs=4, seed=2,
                         decisions=True)
    for r in result.report["results"]:
        curves = result.regret_curves[r["policy"]]
        assert curves.shape == (4, len(r["regret_curve"]["t"]))
        np.testing.assert_allclose(curves.mean(axis=0), r["regret_curve"]["mean"], rtol=1e-12)
    d = result.decisions
    samples = result.report["trace"]["samples"]
    assert len(d["arm"]) == 2 * 4 * samples
    for p, r in enumerate(result.report["results"]):
        mine = d["policy"] == p
        # Mean decisions per split over runs, as the report counts them.
        counts = np.bincount(d["arm"][mine] - 1, minlength=5) / 4
        np.testing.assert_allclose(counts, r["arm_counts"])
        total = d["total_cost"][mine & (d["t"] == samples - 1)]
        np.testing.assert_allclose(total.mean(), r["total_cost"]["mean"], rtol=1e-12)
    # Joint arms carry their threshold, but at the final exit, where every sample answers.
    joint = (d["policy"] == 1) & (d["arm"] < 5)
    assert np.isfinite(d["threshold"][joint]).all()
    assert np.isnan(d["threshold"][d["policy"] == 0]).all()


def test_to_pandas_holds_every_estimate(npz_trace):
    pd = pytest.importorskip("pandas")
    result = splitee.run(str(npz_trace), ["splitee-s", "final-exit"], runs=3)
    frame = result.to_pandas()
    assert list(frame.index) == ["splitee-s", "final-exit"]
    r = result.report["results"][0]
    assert frame.loc["splitee-s", "cumulative_regret"] == r["cumulative_regret"]["mean"]
    assert frame.loc["splitee-s", "accuracy_ci95"] == r["accuracy"]["ci95"]
    decisions = splitee.run(str(npz_trace), ["final-exit"], runs=1,
                            decisions=True).decisions_to_pandas()
    assert isinstance(decisions, pd.DataFrame) and set(decisions["policy"]) == {"final-exit"}


def test_bad_settings_are_refused_with_the_rule(npz_trace):
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\], got 1.5"):
        splitee.run(str(npz_trace), alpha=1.5)
    with pytest.raises(ValueError, match="unknown policy|policy"):
        splitee.run(str(npz_trace), ["no-such-policy"])
    with pytest.raises(ValueError, match="order: unknown variant `sideways`"):
        splitee.run(str(npz_trace), order="sideways")
    with pytest.raises(ValueError, match=r"runs must be at least 1"):
        splitee.run(str(npz_trace), runs=0)


def test_profile_costs_and_depths_equal_the_config_file(cli, tmp_path):
    trace = REPO / "datasets" / "sparsity-mnist-d25.csv"
    profile = REPO / "datasets" / "sparsity-mnist-d25.profile.json"
    config = tmp_path / "profile.toml"
    config.write_text(f"""
[cost]
model = "profile"
profile = "{profile}"
per_mac = 1.1e-5
per_byte = 3.125e-4
cloud_per_mac = 2e-6
""")
    policies = ["splitee-s", "final-exit"]
    flags = [a for p in policies for a in ("--policy", p)]
    expected = cli_json(cli, "run", "--config", config, "--trace", trace, *flags, "--runs", 2)
    got = splitee.run(str(trace), policies, runs=2, cost_model="profile", profile=profile,
                      per_mac=1.1e-5, per_byte=3.125e-4, cloud_per_mac=2e-6)
    assert got.to_dict() == expected
    assert expected["settings"]["cost"]["processing"]["model"] == "profile"
    assert expected["settings"]["cost"]["processing"]["cloud_per_mac"] == 2e-6

    config.write_text("[cost]\nmodel = \"linear\"\nlambda = 0.2\ndepths = [1, 4, 9]\n")
    expected = cli_json(cli, "run", "--config", config, "--trace", trace, *flags, "--runs", 2)
    got = splitee.run(str(trace), policies, runs=2, lambda_=0.2, depths=[1, 4, 9])
    assert got.to_dict() == expected


def test_profile_settings_are_refused_as_the_config_file_refuses_them(tmp_path):
    trace = str(REPO / "datasets" / "sparsity-mnist-d25.csv")
    profile = REPO / "datasets" / "sparsity-mnist-d25.profile.json"
    with pytest.raises(ValueError, match=r"^cost_model: the profile cost model needs per_byte"):
        splitee.run(trace, cost_model="profile", profile=profile, per_mac=1e-5)
    with pytest.raises(ValueError, match=r"^cost: the profile cost model derives off\(k\)"):
        splitee.run(trace, cost_model="profile", profile=profile, per_mac=1e-5, per_byte=1e-4,
                    cost=0.5)
    with pytest.raises(ValueError, match=r"^lambda_: lambda applies to the linear cost model"):
        splitee.run(trace, cost_model="profile", profile=profile, per_mac=1e-5, per_byte=1e-4,
                    lambda_=0.1)
    with pytest.raises(ValueError, match=r"^per_mac: applies to the profile cost model"):
        splitee.run(trace, per_mac=1e-5)
    with pytest.raises(ValueError, match=r"^profile: .*missing.json: cannot read"):
        splitee.run(trace, cost_model="profile", profile=tmp_path / "missing.json",
                    per_mac=1e-5, per_byte=1e-4)


def test_decisions_carry_the_propensities_of_the_cli_log(cli, npz_trace, tmp_path):
    policies = ["random", "eps-greedy:0.1", "splitee-s:unbiased"]
    log = tmp_path / "decisions.jsonl"
    run_cli(cli, "run", "--trace", npz_trace, *[a for p in policies for a in ("--policy", p)],
            "--runs", 2, "--seed", 4, "--decisions", log)
    expected = decisions_of(log.read_text())
    d = splitee.run(str(npz_trace), policies, runs=2, seed=4, decisions=True).decisions
    nan = float("nan")
    np.testing.assert_array_equal(d["propensity"], [e.get("propensity", nan) for e in expected])
    np.testing.assert_array_equal(d["probe_probability"],
                                  [e.get("probe_probability", nan) for e in expected])
    # A uniform choice over 5 arms, and SplitEE-S's deterministic index with its probes.
    assert (d["propensity"][d["policy"] == 0] == 0.2).all()
    assert (d["propensity"][d["policy"] == 2] == 1.0).all()
    assert np.isfinite(d["probe_probability"][d["policy"] == 2]).all()


@pytest.mark.parametrize("compat, flags, kwargs", [
    ("splitee-2023", ["--policy", "splitee", "--policy", "splitee-s"],
     {"policies": ["splitee", "splitee-s"]}),
    ("adaee-2023", [], {}),
])
def test_compat_modes_equal_the_cli(cli, npz_trace, compat, flags, kwargs):
    # The mode's implications (AdaEE: its grid from 0, clipped gain, ln t index and policies)
    # come from the core for both entrances.
    expected = cli_json(cli, "run", "--trace", npz_trace, "--compat", compat, *flags,
                        "--runs", 2, "--seed", 5, "--offload-cost", 0.2, "--order", "given")
    result = splitee.run(str(npz_trace), compat=compat, runs=2, seed=5, cost=0.2,
                         order="given", **kwargs)
    assert result.to_dict() == expected
    assert expected["settings"]["compat"] is not None


def test_compat_refusals_name_the_key(npz_trace):
    with pytest.raises(ValueError, match="^compat: `x`: the modes are"):
        splitee.run(str(npz_trace), compat="x")
    with pytest.raises(ValueError, match="^policies: compatibility mode adaee-2023 learns"):
        splitee.run(str(npz_trace), compat="adaee-2023", policies=["splitee"])
