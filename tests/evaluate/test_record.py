"""The evaluation record: one type for writer and reader, old files load, bad files are refused."""

import json

import numpy as np
import pytest

from locoaudit.errors import LocoauditError
from locoaudit.evaluate import metrics
from locoaudit.evaluate.metrics import DIRECTIONS
from locoaudit.evaluate.record import Estimate, parse_evaluation
from locoaudit.evaluate.report import format_results
from locoaudit.ledger.compare import delta
from run_dirs import evaluation, with_spec

OLD = {  # an evaluation file as `locoaudit eval` wrote it before the typed record (trimmed to two metrics)
    "run_id": "quadruped_flat-20261125-120000-s1-abcd",
    "panel": "disturbance",
    "panel_hash": "f" * 64,
    "manifest_hash": "0" * 64,
    "seed": 2001,
    "kind": "heldout",
    "simulator": "mujoco_cpu",
    "held_out": True,
    "checkpoint_iteration": 104,
    "created": "2026-11-25T12:00:00+00:00",
    "cells": [
        {
            "name": "push_1.0",
            "episodes": 32,
            "metrics": {
                "fall_rate": {"value": 0.25, "ci": [0.1325, 0.4204], "n": 32},
                "lin_vel_error": {"value": 0.1, "ci": [0.10000000000000002, 0.10000000000000002], "n": 32},
                "failure_reasons": {"base_too_low": 8},
            },
        }
    ],
    "summary": {"fall_rate": {"value": 0.25, "ci": [0.1325, 0.4204], "n": 32}},
    "traces": ["evaluations/traces/x/push_1.0-seed1-env0.npz"],
    "env_steps_per_s": 12000.5,
}


def test_old_files_load_and_write_back_unchanged():
    e = parse_evaluation(json.loads(json.dumps(OLD)), "old.json")
    assert e.to_json() == OLD and e.panel_spec is None and e.criteria.min_episodes == 32
    assert e.cells[0].metrics["fall_rate"] == Estimate(0.25, 0.1325, 0.4204, 32)
    assert e.cells[0].failure_reasons == {"base_too_low": 8}
    legacy = evaluation("r")  # no counts n, no traces, no panel_spec
    assert parse_evaluation(legacy, "legacy.json").to_json() == legacy
    kept = parse_evaluation(OLD | {"future_key": [1]}, "f.json")
    assert kept.extra == {"future_key": [1]} and kept.to_json()["future_key"] == [1]


def _set(obj, path, value):
    *parents, last = path
    for key in parents:
        obj = obj[key]
    obj[last] = value


@pytest.mark.parametrize(
    ("path", "value", "field", "why"),
    [
        (("summary", "fall_rate", "value"), float("nan"), "summary.fall_rate.value", "not a finite number"),
        (("summary", "fall_rate", "ci"), [0.1, float("inf")], "summary.fall_rate.ci", "not a finite number"),
        (("summary", "fall_rate", "ci"), [0.4204, 0.1325], "summary.fall_rate.ci", "inverted interval"),
        (("summary", "fall_rate", "value"), 0.5, "summary.fall_rate.value", "outside its interval"),
        (("summary", "fall_rate", "value"), None, "summary.fall_rate.value", "outside its interval"),
        (("summary", "fall_rate", "n"), -1, "summary.fall_rate.n", "expected a count"),
        (("cells", 0, "episodes"), -3, "cells[0].episodes", "expected a count"),
        (
            ("cells", 0, "metrics", "fall_rat"),
            {"value": 0.1, "ci": None},
            "cells[0].metrics.fall_rat",
            "unknown",
        ),
        (("cells", 0, "metrics", "failure_reasons", "x"), -1, "failure_reasons.x", "expected a count"),
        (("env_steps_per_s",), float("nan"), "env_steps_per_s", "not a finite number"),
        (("held_out",), "yes", "held_out", "must be true or false"),
    ],
)
def test_bad_files_are_refused_naming_file_and_field(path, value, field, why):
    body = json.loads(json.dumps(OLD))
    _set(body, path, value)
    with pytest.raises(LocoauditError, match=why) as info:
        parse_evaluation(body, "runs/r/evaluations/x.json")
    assert str(info.value).startswith("runs/r/evaluations/x.json: ") and field in str(info.value)


def test_panel_spec_must_hash_to_panel_hash():
    ev = with_spec(evaluation("r"), min_episodes=8, floor={"cells": ["push_1.0"], "max_fall_rate": 0.2})
    e = parse_evaluation(ev, "e.json")
    assert e.criteria.min_episodes == 8 and e.floor.limits() == {"fall_rate": 0.2}
    ev["panel_spec"]["min_episodes"] = 1  # lowering the bar after the fact changes the hash
    with pytest.raises(LocoauditError, match=r"e.json: panel_spec: sha256 \w+ is not panel_hash"):
        parse_evaluation(ev, "e.json")


def test_every_metric_the_evaluation_writes_has_a_direction():
    n = 6
    table = {
        "fell": np.array([True, False] * 3),
        "reason": np.array(["base_too_low", "time_out"] * 3),
        "steps": np.arange(n) + 10,
        "pushed": np.ones(n, bool),
        "recovered": np.ones(n, bool),
    } | {name: np.linspace(0.1, 0.6, n) for name in metrics.MEAN_METRICS}
    written = set(metrics.cell_metrics(table, 0.02))
    assert written - set(metrics.COUNTS) == set(DIRECTIONS)


@pytest.mark.parametrize("metric", sorted(DIRECTIONS))
def test_each_direction_decides_compare_verdicts(metric):
    low, high = Estimate(1.0, 0.9, 1.1), Estimate(2.0, 1.9, 2.1)
    up, down = delta(metric, low, high).verdict, delta(metric, high, low).verdict
    expected = {"lower": ("worse", "better"), "higher": ("better", "worse"), "none": ("higher", "lower")}
    assert (up, down) == expected[DIRECTIONS[metric]]
    assert delta(metric, low, Estimate(1.05, 0.95, 1.15)).verdict == "same"


def test_directions_of_the_headline_metrics():
    assert DIRECTIONS["fall_rate"] == DIRECTIONS["lin_vel_error"] == "lower"  # the gate's metrics
    assert DIRECTIONS["push_recovery_rate"] == "higher"
    assert DIRECTIONS["time_to_fall_s"] == "none"  # measured over the episodes that fell only


def test_report_marks_directions():
    text = format_results(parse_evaluation(json.loads(json.dumps(OLD)), "old.json"))
    header = text.splitlines()[1]
    assert "fall (v)" in header and "push rec (^)" in header and "t fall s " in header
    assert "t fall s (" not in header
    assert "note: 1 of 1 cells have fewer than the panel's min_episodes" not in text  # 32 episodes
    short = json.loads(json.dumps(OLD))
    short["cells"][0]["episodes"] = 8
    assert "note: 1 of 1 cells have fewer than the panel's min_episodes (32)" in format_results(
        parse_evaluation(short, "short.json")
    )
