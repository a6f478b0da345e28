"""Shared fixtures: the repository, the built `splitee` command (`cargo build --release`) and
small deterministic traces."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Dict, List

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[3]
CLI = REPO / "target" / "release" / "splitee"


@pytest.fixture(scope="session")
def cli() -> Path:
    if not CLI.exists():
        pytest.fail(f"{CLI} is missing: build it with `cargo build --release` (tests/all.sh does)")
    return CLI


def run_cli(cli: Path, *args: Any, stdin: str | None = None) -> str:
    done = subprocess.run([str(cli), *map(str, args)], input=stdin, capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cli_json(cli: Path, *args: Any) -> Dict[str, Any]:
    return json.loads(run_cli(cli, *args, "--json"))


def decisions_of(text: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def noisy_trace(samples: int = 400, exits: int = 5, classes: int = 4, seed: int = 7):
    """Logits of a small multi-exit model that grows surer with depth, with labels."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, classes, samples)
    depth = np.arange(1, exits + 1)[None, :, None]
    signal = np.eye(classes)[label][:, None, :] * depth * 0.8
    logits = signal + rng.normal(0.0, 1.0, (samples, exits, classes))
    return logits, label


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


@pytest.fixture
def npz_trace(tmp_path: Path) -> Path:
    logits, label = noisy_trace()
    probs = softmax(logits)
    path = tmp_path / "trace.npz"
    np.savez(path, conf=probs.max(-1), pred=probs.argmax(-1), label=label)
    return path
