"""examples/model_to_trace.py (numpy only) writes a trace and a cost profile the command line
reads as the README says: the npz and the CSV hold the same samples, and the profile prices the
final exit as per_mac x its device MACs."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np

from conftest import REPO, cli_json

SCRIPT = REPO / "examples" / "model_to_trace.py"


def test_a_model_becomes_a_trace_and_a_profile(cli, tmp_path):
    out = tmp_path / "my-model"
    done = subprocess.run([sys.executable, str(SCRIPT), str(out), "--samples", "200"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("200 samples, 3 exits, 4 classes")

    arrays = np.load(out / "trace.npz")
    assert arrays["probs"].shape == (200, 3, 4)
    assert arrays["cost"].shape == (200, 3) and (arrays["cost"] > 0).all()
    np.testing.assert_allclose(arrays["probs"].sum(-1), 1.0)

    from_npz = cli_json(cli, "inspect", "--trace", out / "trace.npz")
    from_csv = cli_json(cli, "inspect", "--trace", out / "trace.csv")
    for summary in (from_npz, from_csv):
        assert (summary["samples"], summary["exits"], summary["classes"]) == (200, 3, 4)
        assert summary["has_costs"] and summary["labeled_samples"] == 200
    assert [e["accuracy"] for e in from_npz["per_exit"]] == \
        [e["accuracy"] for e in from_csv["per_exit"]]
    expected = (arrays["probs"].argmax(-1) == arrays["label"][:, None]).mean(0)
    np.testing.assert_allclose([e["accuracy"] for e in from_npz["per_exit"]], expected)

    profile = json.loads((out / "model.profile.json").read_text())
    macs = [split["device_macs"] for split in profile["splits"]]
    assert macs == sorted(macs) and profile["splits"][-1]["bytes_sent"] == 0
    config = tmp_path / "profile.toml"
    config.write_text(f'[cost]\nmodel = "profile"\nprofile = "{out / "model.profile.json"}"\n'
                      'per_mac = 1e-5\nper_byte = 1e-3\n')
    report = cli_json(cli, "run", "--trace", out / "trace.csv", "--config", config,
                      "--policy", "final-exit", "--runs", "1")
    final = report["results"][0]["cost_per_sample"]["mean"]
    assert abs(final - 1e-5 * macs[-1]) < 1e-12
