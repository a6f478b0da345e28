"""The examples and the README's Python example run as shown (so they cannot rot)."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import REPO

EXAMPLES = REPO / "crates" / "python" / "examples"


def run_example(*args: str, cwd=None) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_multi_exit_softmax_example_runs(tmp_path):
    out = run_example(str(EXAMPLES / "multi_exit_softmax.py"), "--samples", "1500",
                      "--plot", str(tmp_path / "regret.png"))
    assert "splitee-s: accuracy" in out and "joint-ucb: accuracy" in out


def test_the_live_loop_example_runs(tmp_path):
    out = run_example(str(EXAMPLES / "live_loop.py"), "--samples", "400",
                      "--state", str(tmp_path / "learner.json"))
    assert out.startswith("400 samples, splitee-s: accuracy")
    assert (tmp_path / "learner.json").exists()


def test_the_readme_example_runs(tmp_path):
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Python"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    out = run_example("-c", code, cwd=tmp_path)
    assert "splitee-s" in out
