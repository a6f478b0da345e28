"""Traces from arrays: probs, logits and conf/pred agree; every bad array is a ValueError naming
the array (and the row and rule, in the command line's words); files read as the CLI reads
them."""

from __future__ import annotations

import numpy as np
import pytest

import splitee
from conftest import noisy_trace, softmax


def test_probs_logits_and_conf_pred_agree():
    logits, label = noisy_trace(samples=300, exits=4, classes=5)
    probs = softmax(logits)
    from_probs = splitee.from_probs(probs, label)
    from_logits = splitee.from_logits(logits, label)
    from_conf = splitee.from_arrays(probs.max(-1), probs.argmax(-1), label)
    conf, pred, lab, cost = from_probs.arrays()
    assert cost is None and (lab == label).all()
    assert (pred == probs.argmax(-1)).all() and (conf == probs.max(-1)).all()
    logit_conf, logit_pred, _, _ = from_logits.arrays()
    assert (logit_pred == pred).all()
    np.testing.assert_allclose(logit_conf, conf, rtol=1e-12)
    assert from_conf.arrays()[0].tobytes() == conf.tobytes()
    # The same numbers from probs and conf/pred; from logits (a softmax of its own, equal to
    # the last bit or so) the same decisions and numbers to 1e-12.
    settings = dict(policies=["splitee-s", "joint-ucb", "thompson"], runs=3, seed=4,
                    decisions=True)
    probs_run, logits_run, conf_run = (splitee.run(t, **settings)
                                       for t in (from_probs, from_logits, from_conf))
    assert probs_run.to_dict()["results"] == conf_run.to_dict()["results"]
    for key in ("arm", "threshold", "offloaded", "exit", "prediction", "correct"):
        np.testing.assert_array_equal(logits_run.decisions[key], probs_run.decisions[key])
    np.testing.assert_allclose(logits_run.decisions["reward"], probs_run.decisions["reward"],
                               rtol=1e-12)
    f32 = splitee.from_probs(probs.astype(np.float32), label)
    assert (f32.arrays()[0] == probs.astype(np.float32).max(-1)).all()


def test_arrays_are_read_whatever_their_layout():
    logits, label = noisy_trace(samples=200, exits=6, classes=3)
    probs = softmax(logits)
    conf, pred = probs.max(-1), probs.argmax(-1)
    strided = splitee.from_arrays(np.asfortranarray(conf)[:, ::2], pred[:, ::2], label)
    dense = splitee.from_arrays(np.ascontiguousarray(conf[:, ::2]), pred[:, ::2].copy(), label)
    assert all((a == b).all() for a, b in zip(strided.arrays()[:3], dense.arrays()[:3]))
    # Any integer width; lists too.
    small = splitee.from_arrays(conf.tolist(), pred.astype(np.uint8), label.astype(np.int16))
    assert (small.arrays()[1] == pred).all()


def good():
    rng = np.random.default_rng(1)
    return dict(conf=rng.random((20, 3)), pred=rng.integers(0, 4, (20, 3)),
                label=rng.integers(0, 4, 20), cost=rng.random((20, 3)))


def with_(name, value, **changes):
    arrays = good()
    arrays[name] = value
    arrays.update(changes)
    return arrays


def nan_at(array, index):
    array = array.copy()
    array[index] = np.nan
    return array


CONF = good()["conf"]
BAD = [
    ("conf", with_("conf", nan_at(CONF, (4, 1))), r"row 4: column conf_2: confidence is NaN"),
    ("conf", with_("conf", CONF + 1.0), r"row 0: column conf_1: confidence 1\.\d+ is outside \[0, 1\]"),
    ("conf", with_("conf", CONF[:, :, None]), r"has shape \[20, 3, 1\]; expected \[samples, exits\]"),
    ("conf", with_("conf", (CONF > 0.5).astype(np.int64)), r"must hold floats \(float32 or float64\)"),
    ("conf", with_("conf", CONF[:, :0], pred=np.zeros((20, 0), np.int64), cost=None),
     "has no exits"),
    ("conf", with_("conf", CONF[:0], pred=np.zeros((0, 3), np.int64), label=None, cost=None),
     "holds no samples"),
    ("pred", with_("pred", -good()["pred"] - 1), r"row 0: column pred_1: predicted class -\d is negative"),
    ("pred", with_("pred", good()["pred"] * 1.0), r"must hold integers"),
    ("pred", with_("pred", good()["pred"][:, :2]), r"has shape \[20, 2\]; expected \[20, 3\] to match conf"),
    ("pred", with_("pred", good()["pred"] + 70000), r"out of range: classes must be at most 65534"),
    ("label", with_("label", good()["label"][:5]), r"has shape \[5\]; expected \[20\] to match conf"),
    ("label", with_("label", good()["label"] * 0.5), r"must hold integers"),
    ("cost", with_("cost", -good()["cost"]), r"row 0: column cost_1: cost -\d\.\d+ is negative"),
    ("cost", with_("cost", nan_at(good()["cost"], (2, 2))), r"row 2: column cost_3: cost is NaN"),
    ("cost", with_("cost", good()["cost"].T), r"has shape \[3, 20\]; expected \[20, 3\] to match conf"),
]


@pytest.mark.parametrize("name,arrays,rule", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_every_bad_conf_pred_array_names_itself(name, arrays, rule):
    with pytest.raises(ValueError, match=rf"^array {name}:? .*{rule}"):
        splitee.from_arrays(**arrays)


def probs_and_label():
    logits, label = noisy_trace(samples=30, exits=3, classes=4)
    return softmax(logits), label


@pytest.mark.parametrize("make,rule", [
    (lambda p, y: splitee.from_probs(nan_at(p, (3, 0, 1)), y),
     r"^array probs: row 3: column conf_1: confidence is NaN"),
    (lambda p, y: splitee.from_probs(p * 3, y), r"^array probs: row 0: column conf_1: confidence \S+ is outside \[0, 1\]"),
    (lambda p, y: splitee.from_probs(p[:, :, 0], y), r"^array probs has shape \[30, 3\]; expected \[samples, exits, classes\]"),
    (lambda p, y: splitee.from_probs(p, y + 4),
     r"^array label: row 0: column label: label \d is out of range: the trace has 4 classes \(0..=3\)"),
    (lambda p, y: splitee.from_probs(p[:, :, :0], y), r"^array probs: has 0 classes; expected 1 to 65535"),
    (lambda p, y: splitee.from_logits(nan_at(np.log(p), (7, 2, 0)), y),
     r"^array logits: row 7: column conf_3: logits must be finite, got NaN"),
    (lambda p, y: splitee.from_logits(np.log(p).astype(np.float16), y),
     r"^array logits must hold floats \(float32 or float64\), got float16"),
    (lambda p, y: splitee.from_logits(np.log(p), y, cost=np.ones((30, 2))),
     r"^array cost: has shape \[30, 2\]; expected \[30, 3\] to match logits"),
])
def test_every_bad_probs_or_logits_array_names_itself(make, rule):
    probs, label = probs_and_label()
    with pytest.raises(ValueError, match=rule):
        make(probs, label)


def test_files_read_as_the_cli_reads_them(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("conf_1,conf_2,pred_1,pred_2,label\n0.5,0.9,1,1,1\n0.7,0.8,0,1,0\n")
    trace = splitee.load(path, path)
    assert (trace.samples, trace.exits, trace.labeled) == (4, 2, True)
    bad = tmp_path / "bad.csv"
    bad.write_text("conf_1,conf_2,pred_1,pred_2\n0.5,1.9,1,1\n")
    with pytest.raises(ValueError, match=r"bad.csv: line 2: column conf_2: confidence 1.9 is outside \[0, 1\]"):
        splitee.load(bad)
