"""splitee: learn online, without labels, where to split an early-exit network between device
and cloud.

Traces come from NumPy arrays (``from_arrays``, ``from_probs``, ``from_logits``; torch tensors
through ``.numpy()``) or files (``load``). ``run`` replays them through bandit policies with the
command line's settings and defaults and returns the numbers ``splitee run --json`` prints;
``sweep`` runs a grid of settings (from a dict), ``sweep_config`` a config file's; ``LiveLearner`` decides samples one at a time inside an
inference loop, with the state files of ``splitee stream``. The engine is Rust (``_native``) and
releases the GIL while it works.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _native
from ._native import Decision, Plan, Trace, __version__

__all__ = [
    "Decision",
    "LiveLearner",
    "Plan",
    "Result",
    "Trace",
    "__version__",
    "defaults",
    "from_arrays",
    "from_logits",
    "from_probs",
    "load",
    "run",
    "sweep",
    "sweep_config",
    "SweepResult",
]

PathLike = Union[str, "os.PathLike[str]"]


def _ints(values: Any) -> Any:
    """Integer arrays as int64 (read in place when they already are)."""
    if values is None:
        return None
    array = np.asarray(values)
    if array.dtype.kind in "iu" and array.dtype != np.int64:
        return array.astype(np.int64)
    return array


def _floats(values: Any) -> Any:
    return None if values is None else np.asarray(values)


def _contexts(values: Any) -> Optional[List[str]]:
    """Context labels ``[samples]`` as text: strings as they are, integers as their digits (as
    trace files read a number in the ``context`` column)."""
    if values is None:
        return None
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"array context has shape {list(array.shape)}; expected [samples]")
    if array.dtype.kind in "iu":
        return [str(int(v)) for v in array.tolist()]
    if array.dtype.kind == "U":
        return array.tolist()
    if array.dtype.kind == "S":
        return [v.decode("utf-8") for v in array.tolist()]
    if array.dtype.kind == "O":
        labels = []
        for v in array.tolist():
            if isinstance(v, str):
                labels.append(v)
            elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
                labels.append(str(int(v)))
            else:
                raise ValueError(f"array context must hold strings or integers, got {v!r}")
        return labels
    raise ValueError(f"array context must hold strings or integers, got {array.dtype}")


def from_arrays(conf: Any, pred: Any, label: Any = None, cost: Any = None,
                name: str = "arrays", context: Any = None) -> Trace:
    """A trace from confidences (floats in [0, 1]) and predicted classes, ``[samples, exits]``
    each; labels ``[samples]`` (negative: unlabeled), measured per-exit costs
    ``[samples, exits]`` and each sample's context ``[samples]`` (strings or integers: the
    ``context`` column, which ``per-context:NAME`` policies learn per value of) are optional."""
    return Trace.from_conf_pred(_floats(conf), _ints(pred), _ints(label), _floats(cost), name,
                                _contexts(context))


def from_probs(probs: Any, label: Any = None, cost: Any = None, name: str = "arrays",
               context: Any = None) -> Trace:
    """A trace from per-exit softmax probabilities ``[samples, exits, classes]``: each exit's
    confidence is its largest probability and its prediction that class. ``context`` as in
    ``from_arrays``."""
    return Trace.from_probs(_floats(probs), _ints(label), _floats(cost), name, _contexts(context))


def from_logits(logits: Any, label: Any = None, cost: Any = None, name: str = "arrays",
                context: Any = None) -> Trace:
    """A trace from per-exit logits ``[samples, exits, classes]`` (softmax taken in the
    engine). ``context`` as in ``from_arrays``."""
    return Trace.from_logits(_floats(logits), _ints(label), _floats(cost), name,
                             _contexts(context))


def load(*paths: PathLike) -> Trace:
    """Trace files (``.csv``, ``.jsonl``, ``.npz``, gzipped text too), replayed one after the
    other, read as ``splitee run --trace`` reads them."""
    return Trace.load([os.fspath(p) for p in paths])


def defaults() -> Dict[str, Any]:
    """The settings a run takes when none are given (the command line's defaults)."""
    return _native.defaults()


def _settings(policies: Optional[Sequence[str]], settings: Dict[str, Any]) -> Dict[str, Any]:
    given = {k: v for k, v in settings.items() if v is not None}
    if policies is not None:
        given["policies"] = [policies] if isinstance(policies, str) else list(policies)
    for key in ("cost", "cost_table", "depths", "thresholds"):
        if key in given and not np.isscalar(given[key]) and not isinstance(given[key], dict):
            given[key] = [float(v) for v in given[key]]
    if "profile" in given:
        given["profile"] = os.fspath(given["profile"])
    return given


def _estimates(result: Dict[str, Any]) -> Dict[str, Any]:
    """A policy's estimates as columns: each one's mean, and its 95% half-width as
    ``NAME_ci95``."""
    columns: Dict[str, Any] = {}
    for key, value in result.items():
        if isinstance(value, dict) and "mean" in value and "ci95" in value:
            columns[key] = value["mean"]
            columns[key + "_ci95"] = value["ci95"]
    return columns


class Result:
    """What a run produced: ``report`` (the dict ``splitee run --json`` prints),
    ``regret_curves`` (per policy, cumulative regret ``[runs, points]`` at ``curve_steps``) and
    ``decisions`` (every decision as arrays, when the run logged them); ``engine_seconds`` is the
    time the engine took, without the conversions to Python."""

    def __init__(self, native: Dict[str, Any]) -> None:
        self.report: Dict[str, Any] = json.loads(native["report"])
        self.policies: List[str] = [r["policy"] for r in self.report["results"]]
        steps = self.report["results"][0]["regret_curve"]["t"] if self.policies else []
        self.curve_steps: np.ndarray = np.asarray(steps, dtype=np.int64)
        self.regret_curves: Dict[str, np.ndarray] = dict(zip(self.policies, native["curves"]))
        self.decisions: Optional[Dict[str, np.ndarray]] = native["decisions"]
        self.engine_seconds: float = native["engine_seconds"]

    def to_dict(self) -> Dict[str, Any]:
        """The report, as ``splitee run --json`` prints it."""
        return self.report

    def to_pandas(self) -> Any:
        """One row per policy: each estimate's mean and 95% half-width (``*_ci95``), the best
        and learned arms. Needs pandas."""
        import pandas as pd

        rows = []
        for r in self.report["results"]:
            row: Dict[str, Any] = {"policy": r["policy"], "runs": r["runs"], **_estimates(r)}
            for key in ("best_arm", "best_threshold", "learned_arm", "learned_threshold"):
                row[key] = r.get(key)
            rows.append(row)
        return pd.DataFrame(rows).set_index("policy")

    def contexts_to_pandas(self) -> Any:
        """On a trace with a context column, one row per policy and context: each per-context
        estimate's mean and 95% half-width (``*_ci95``), the context's samples and the arm
        settled on for it (the report's ``contexts``). Needs pandas."""
        import pandas as pd

        rows = []
        for r in self.report["results"]:
            for c in r.get("contexts") or []:
                row: Dict[str, Any] = {"policy": r["policy"], "context": c["context"],
                                       "samples": c["samples"], **_estimates(c)}
                row["learned_arm"] = c["learned_arm"]
                row["learned_threshold"] = c.get("learned_threshold")
                rows.append(row)
        if not rows:
            raise ValueError("the trace has no context column")
        return pd.DataFrame(rows).set_index(["policy", "context"])

    def decisions_to_pandas(self) -> Any:
        """Every decision as a DataFrame (policy names, not indices). Needs pandas and a run
        with ``decisions=True``."""
        import pandas as pd

        if self.decisions is None:
            raise ValueError("the run did not log its decisions; run it with decisions=True")
        frame = pd.DataFrame(self.decisions)
        frame["policy"] = np.asarray(self.policies, dtype=object)[frame["policy"].to_numpy()]
        return frame

    def __repr__(self) -> str:
        return f"Result(policies={self.policies}, samples={self.report['trace']['samples']})"


def _trace(trace: Union[Trace, PathLike, Sequence[PathLike]]) -> Trace:
    if isinstance(trace, Trace):
        return trace
    if isinstance(trace, (str, os.PathLike)):
        return load(trace)
    return load(*trace)


def run(trace: Union[Trace, PathLike, Sequence[PathLike]],
        policies: Optional[Sequence[str]] = None, *,
        alpha: Optional[float] = None,
        cost: Optional[Union[float, Sequence[float]]] = None,
        lambda_: Optional[float] = None,
        mu: Optional[float] = None,
        cost_model: Optional[str] = None,
        cost_table: Optional[Sequence[float]] = None,
        depths: Optional[Sequence[float]] = None,
        profile: Optional[PathLike] = None,
        per_mac: Optional[float] = None,
        per_byte: Optional[float] = None,
        cloud_per_mac: Optional[float] = None,
        ucb_c: Optional[float] = None,
        runs: Optional[int] = None,
        seed: Optional[int] = None,
        order: Optional[str] = None,
        observation: Optional[str] = None,
        thresholds: Optional[Sequence[float]] = None,
        probe: Optional[float] = None,
        reward: Optional[str] = None,
        curve_points: Optional[int] = None,
        compat: Optional[str] = None,
        decisions: bool = False) -> Result:
    """Replays ``trace`` through ``policies`` as ``splitee run`` does. Each setting left
    ``None`` takes the command line's default (``defaults()``); ``cost`` is the offloading cost
    (``--offload-cost``: one value, or one per split), ``lambda_`` the linear model's
    ``--lambda``; ``compat`` (``"splitee-2023"`` or ``"adaee-2023"``) reproduces published code
    as ``--compat`` does, with the same implied settings. With ``decisions``, every decision is
    kept as arrays (runs are then replayed one after the other)."""
    settings = _settings(policies, dict(
        alpha=alpha, cost=cost, lambda_=lambda_, mu=mu, cost_model=cost_model,
        cost_table=cost_table, depths=depths, profile=profile, per_mac=per_mac,
        per_byte=per_byte, cloud_per_mac=cloud_per_mac, ucb_c=ucb_c, runs=runs, seed=seed,
        order=order, observation=observation, thresholds=thresholds, probe=probe, reward=reward,
        curve_points=curve_points, compat=compat))
    return Result(_native.run(_trace(trace), settings, decisions))


class SweepResult:
    """What a sweep produced: ``points``, one dict per grid point (``point``: its trace index,
    alpha, lambda, mu, ucb_c and offloading cost; ``best_arm``, ``arm_mean_rewards`` and
    ``results``, the policies' results as ``splitee run --json`` reports them), as
    ``sweep.json`` holds them."""

    def __init__(self, points: List[Dict[str, Any]]) -> None:
        self.points = points

    def to_dict(self) -> List[Dict[str, Any]]:
        return self.points

    def to_pandas(self) -> Any:
        """One row per grid point and policy: the point's values, then each estimate's mean
        and 95% half-width (``*_ci95``). Needs pandas."""
        import pandas as pd

        rows = []
        for p in self.points:
            for r in p["results"]:
                row: Dict[str, Any] = dict(p["point"])
                row["policy"] = r["policy"]
                row.update(_estimates(r))
                row["learned_arm"] = r["learned_arm"]
                rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"SweepResult({len(self.points)} points)"


def sweep(traces: Union[Trace, PathLike, Sequence[Union[Trace, PathLike]]],
          grid: Dict[str, Any], policies: Optional[Sequence[str]] = None,
          **settings: Any) -> SweepResult:
    """Runs every point of ``grid`` over ``traces`` (one trace, or a list: each is an axis
    value), grid points in parallel without the GIL. ``grid`` maps ``alpha``, ``lambda``,
    ``mu``, ``ucb_c`` and ``offload`` to a value, a list, or ``{"start", "stop", "step"}``
    (inclusive), as a config's ``[sweep]`` section does; ``settings`` are the run's keyword
    arguments (``runs``, ``seed``, ...), the base every point changes."""
    if isinstance(traces, (Trace, str, os.PathLike)):
        traces = [traces]
    loaded = [t if isinstance(t, Trace) else load(t) for t in traces]
    axes = {k: ([float(x) for x in v] if isinstance(v, (list, tuple, np.ndarray)) else v)
            for k, v in grid.items()}
    points = _native.sweep(loaded, json.dumps(axes), _settings(policies, settings))
    return SweepResult(json.loads(points))


# A config file's keys, by section, as the run's keyword arguments ([sweep] gives the grid).
_CONFIG_KEYS: Dict[str, Dict[str, str]] = {
    "trace": {"paths": "paths"},
    "cost": {"model": "cost_model", "lambda": "lambda_", "depths": "depths",
             "table": "cost_table", "offload": "cost", "mu": "mu", "profile": "profile",
             "per_mac": "per_mac", "per_byte": "per_byte", "cloud_per_mac": "cloud_per_mac"},
    "policy": {"names": "policies", "alpha": "alpha", "ucb_c": "ucb_c",
               "observation": "observation", "thresholds": "thresholds", "probe": "probe",
               "reward": "reward"},
    "run": {"runs": "runs", "seed": "seed", "order": "order"},
    "sweep": {"traces": "traces", "alpha": "alpha", "lambda": "lambda", "mu": "mu",
              "ucb_c": "ucb_c", "offload": "offload"},
    # What a sweep's report draws; of it only the kept curve points change the numbers.
    "report": {"curve_points": "curve_points", "focus_offload": "", "pareto_alphas": "",
               "regret_policies": "", "plot_policies": ""},
    "published": {},
}


def sweep_config(path: PathLike, **settings: Any) -> SweepResult:
    """Runs the sweep of a config file (``[trace]``, ``[cost]``, ``[policy]``, ``[run]`` and
    ``[sweep]``; paths relative to the file), the grid ``splitee sweep --config`` runs, and
    returns the points its ``sweep.json`` holds. ``settings`` (the run's keyword arguments)
    replace the file's, as flags do. ``[report]`` and ``[published]`` shape the command's
    figures; of them only ``report.curve_points`` changes the numbers."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python < 3.11
        import tomli as tomllib  # type: ignore[no-redef]

    path = os.fspath(path)
    with open(path, "rb") as file:
        try:
            config = tomllib.load(file)
        except tomllib.TOMLDecodeError as e:
            raise ValueError(f"{path}: {e}") from None
    folder = os.path.dirname(path)
    given: Dict[str, Any] = {}
    grid: Dict[str, Any] = {}
    traces: Optional[List[str]] = None
    for section, values in config.items():
        keys = _CONFIG_KEYS.get(section)
        if keys is None or not isinstance(values, dict):
            raise ValueError(f"{path}: [{section}]: not a section (sections: "
                             f"{', '.join(_CONFIG_KEYS)})")
        if section == "run" and "compat" in values:
            raise ValueError(f"{path}: run.compat: compatibility modes are the command line's "
                             "(splitee sweep --config)")
        for key, value in values.items():
            if key not in keys:
                raise ValueError(f"{path}: {section}.{key}: not a setting of [{section}] "
                                 f"(keys: {', '.join(keys)})")
            name = keys[key]
            if section == "sweep" and key == "traces":
                traces = [os.path.join(folder, p) for p in value]
            elif section == "sweep":
                grid[name] = value
            elif name == "paths":
                given["paths"] = [os.path.join(folder, p) for p in value]
            elif name == "profile":
                given[name] = os.path.join(folder, value)
            elif name:
                given[name] = value
    paths = given.pop("paths", None)
    given.update(settings)
    if traces is None:
        if paths is None:
            raise ValueError(f"{path}: the sweep needs trace.paths or sweep.traces")
        trace_axis: List[Union[Trace, PathLike]] = [load(*paths)]
    else:
        trace_axis = list(traces)
    return sweep(trace_axis, grid, given.pop("policies", None), **given)


class LiveLearner:
    """A learner for an inference loop, deciding as ``splitee stream`` does::

        learner = LiveLearner(exits=12, policy="splitee-s", seed=0)
        plan = learner.choose()        # run the device up to exit plan.split
        ...                            # the cloud runs the rest if the sample is sent there
        learner.observe(conf, pred)    # what the device (and the cloud) computed

    Settings are the run's keyword arguments (``alpha``, ``cost``, ``seed``, ...); states saved
    with ``save`` are ``splitee stream --state`` files, and the other way round."""

    def __init__(self, exits: int, policy: Optional[str] = None, *,
                 measured_costs: bool = False,
                 reward_bounds: Optional[Sequence[float]] = None,
                 **settings: Any) -> None:
        bounds = None if reward_bounds is None else tuple(reward_bounds)
        self._bind(_native.LiveLearner(exits, policy, measured_costs, bounds,
                                       _settings(None, settings)))

    def _bind(self, native: Any) -> None:
        self._native = native
        # The per-sample calls go straight to the engine (one Python call less per sample);
        # the methods below document them.
        self.choose = native.choose  # type: ignore[method-assign]
        self.observe = native.observe  # type: ignore[method-assign]

    @classmethod
    def load(cls, path: PathLike, policy: Optional[str] = None, *,
             reward_bounds: Optional[Sequence[float]] = None,
             **settings: Any) -> "LiveLearner":
        """A learner restored from ``path``, refused unless saved with these settings."""
        learner = cls.__new__(cls)
        bounds = None if reward_bounds is None else tuple(reward_bounds)
        learner._bind(_native.LiveLearner.load(os.fspath(path), policy, bounds,
                                               _settings(None, settings)))
        return learner

    def choose(self, context: Optional[str] = None) -> Plan:
        """The plan for the next sample (the same until it is observed). ``context`` is the
        sample's context: a ``per-context:NAME`` policy decides it with that context's learner
        and refuses a sample without one; it is recorded with the decision."""
        return self._native.choose(context)

    def observe(self, conf: Any, pred: Any, cost: Any = None,
                label: Optional[int] = None) -> Decision:
        """Learns from what was computed for the chosen sample: the device's confidences up to
        where it stopped, then every exit's if the sample went to the cloud; ``pred`` their
        predicted classes; ``cost`` their measured costs (measured cost model only)."""
        return self._native.observe(conf, pred, cost, label)

    def save(self, path: PathLike) -> None:
        """Saves the state atomically (between samples)."""
        self._native.save(os.fspath(path))

    @property
    def steps(self) -> int:
        """Decisions made, across saved states."""
        return self._native.steps

    @property
    def exits(self) -> int:
        return self._native.exits

    @property
    def policy(self) -> str:
        return self._native.policy
