#!/usr/bin/env bash
# Every test of the repository: the workspace's (`cargo test --release`, which also builds the
# `splitee` binary the Python tests compare against), then the Python package's: built with
# maturin into a fresh virtual environment whose packages come from the package index, and its
# pytest suite (crates/python/tests) run there.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --release

venv="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$venv")"' EXIT
python3 -m venv "$venv"
# The environment's own pip, maturin (the build backend, called by name) and python.
export PATH="$venv/bin:$PATH"
pip install --quiet --disable-pip-version-check maturin numpy pytest pandas
pip install --quiet --disable-pip-version-check --no-build-isolation ./crates/python
# From the tests' folder, so the installed package is the one imported.
cd crates/python/tests
python -m pytest -q -p no:cacheprovider
