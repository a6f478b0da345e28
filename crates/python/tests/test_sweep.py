"""Sweeps from a dict equal `splitee sweep` on the same grid, trace, settings and seed."""

from __future__ import annotations

import json

import pytest

import splitee
from conftest import run_cli


def test_a_grid_equals_the_cli_sweep(cli, npz_trace, tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(f"""
[trace]
paths = ["{npz_trace.name}"]

[policy]
names = ["splitee-s", "joint-ucb"]

[run]
runs = 3
seed = 5

[sweep]
alpha = [0.6, 0.8]
offload = {{ start = 0.1, stop = 0.3, step = 0.1 }}
mu = 0.5
""")
    out = tmp_path / "out"
    run_cli(cli, "sweep", "--config", config, "--out", out)
    expected = json.loads((out / "sweep.json").read_text())["points"]
    grid = {"alpha": [0.6, 0.8], "offload": {"start": 0.1, "stop": 0.3, "step": 0.1}, "mu": 0.5}
    got = splitee.sweep(str(npz_trace), grid, ["splitee-s", "joint-ucb"], runs=3, seed=5)
    assert len(got.points) == 6
    assert got.to_dict() == expected


def test_a_bad_axis_names_itself(npz_trace):
    with pytest.raises(ValueError, match=r"^alpha: alpha must be in \(0, 1\], got 1.5"):
        splitee.sweep(str(npz_trace), {"alpha": [0.5, 1.5]})
    with pytest.raises(ValueError, match="^depth: not a sweep axis"):
        splitee.sweep(str(npz_trace), {"depth": [1]})
    with pytest.raises(ValueError, match=r"^offload: step must be > 0"):
        splitee.sweep(str(npz_trace), {"offload": {"start": 0.1, "stop": 0.3, "step": 0}})


def test_to_pandas_has_a_row_per_point_and_policy(npz_trace):
    pytest.importorskip("pandas")
    frame = splitee.sweep(str(npz_trace), {"alpha": [0.6, 0.7, 0.8]}, ["splitee-s", "random"],
                          runs=2).to_pandas()
    assert len(frame) == 6
    assert list(frame["alpha"]) == [0.6, 0.6, 0.7, 0.7, 0.8, 0.8]


CONFIG = """
[trace]
paths = ["{trace}"]

[cost]
model = "linear"
lambda = 0.05

[policy]
names = ["splitee-s", "joint-ucb"]
thresholds = {{ start = 0.6, stop = 0.9, step = 0.1 }}

[run]
runs = 2
seed = 3

[sweep]
alpha = [0.6, 0.8]
offload = {{ start = 0.2, stop = 0.4, step = 0.2 }}

[report]
focus_offload = 0.4
curve_points = 20
"""


def test_a_config_file_sweeps_as_the_cli_does(cli, npz_trace, tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG.format(trace=npz_trace.name))
    out = tmp_path / "out"
    run_cli(cli, "sweep", "--config", config, "--out", out)
    expected = json.loads((out / "sweep.json").read_text())["points"]
    got = splitee.sweep_config(config)
    assert len(got.points) == 4
    assert got.to_dict() == expected
    # Keyword arguments replace the file's settings, as flags do.
    run_cli(cli, "sweep", "--config", config, "--out", out, "--runs", 1)
    expected = json.loads((out / "sweep.json").read_text())["points"]
    assert splitee.sweep_config(config, runs=1).to_dict() == expected


def test_a_config_file_s_mistakes_name_their_key(npz_trace, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.format(trace=npz_trace.name).replace("seed = 3", "sead = 3"))
    with pytest.raises(ValueError, match=r"bad.toml: run.sead: not a setting of \[run\]"):
        splitee.sweep_config(config)
    config.write_text("[sweeps]\nalpha = 0.5\n")
    with pytest.raises(ValueError, match=r"bad.toml: \[sweeps\]: not a section"):
        splitee.sweep_config(config)
    config.write_text("[sweep]\nalpha = [0.5, 0.7\n")
    with pytest.raises(ValueError, match=r"bad.toml: "):
        splitee.sweep_config(config)
    config.write_text("[sweep]\nalpha = [0.5, 0.7]\n")
    with pytest.raises(ValueError, match=r"needs trace.paths or sweep.traces"):
        splitee.sweep_config(config)
