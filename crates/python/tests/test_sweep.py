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
