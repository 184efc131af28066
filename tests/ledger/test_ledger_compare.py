"""Construct-matched comparison: delta intervals, panel-hash matching and manifest differences."""

import pytest
from ledger_helpers import OTHER_HASH, evaluation

from locoaudit.cli import main
from locoaudit.errors import LocoauditError
from locoaudit.evaluate.record import Estimate
from locoaudit.ledger.compare import compare_runs, delta, manifest_diff
from locoaudit.ledger.record import build_record


def test_delta_interval_by_hand():
    a, b = Estimate(0.10, 0.05, 0.15), Estimate(0.30, 0.20, 0.40)
    d = delta("fall_rate", a, b)
    assert d.value == pytest.approx(0.20)
    assert (d.lo, d.hi) == (pytest.approx(0.20 - 0.15), pytest.approx(0.40 - 0.05))  # [loB - hiA, hiB - loA]
    assert d.verdict == "worse"  # more falls, interval excludes 0
    assert delta("fall_rate", b, a).verdict == "better"
    assert delta("push_recovery_rate", a, b).verdict == "better"  # higher is better
    assert delta("fall_rate", a, Estimate(0.12, 0.08, 0.16)).verdict == "same"  # interval contains 0
    assert delta("time_to_fall_s", a, Estimate(None, None, None)).verdict == "n/a"


def test_manifest_diff_lists_dotted_paths_with_both_values():
    a = {"ppo": {"num_steps_per_env": 24, "lr": 0.001}, "robot": {"kp": 20.0}, "tags": [1]}
    b = {"ppo": {"num_steps_per_env": 8, "lr": 0.001}, "robot": {"kp": 20.0, "kd": 0.5}, "tags": [2]}
    assert manifest_diff(a, b) == [
        ("ppo.num_steps_per_env", 24, 8),
        ("robot.kd", "<absent>", 0.5),
        ("tags", [1], [2]),
    ]


def test_compare_matched_runs_shows_cells_and_manifest_differences(make_run, capsys):
    a = make_run("a", [evaluation("a"), evaluation("a", kind="transfer", simulator="mjx")])
    b = make_run("b", [evaluation("b", fall=(0.30, 0.20, 0.40))], manifest="short")
    comparison = compare_runs(build_record(a), build_record(b), "disturbance")
    assert ("ppo.num_steps_per_env", 24, 8) in comparison.manifest_diff
    assert comparison.pairs["transfer"] == []  # only A has a transfer evaluation
    assert (
        main(["runs", "compare", str(a), str(b), "--panel", "disturbance", "--runs-dir", str(a.parent)]) == 0
    )
    out = capsys.readouterr().out
    assert "push_1.0" in out and "(summary)" in out
    assert "0.2 [0.05, 0.35]" in out and "worse" in out
    assert "ppo.num_steps_per_env: 24 -> 8" in out
    assert "transfer: no matched transfer evaluations" in out
    # by run id, once both are in the ledger
    assert main(["runs", "compare", "a", "b", "--panel", "disturbance", "--runs-dir", str(a.parent)]) == 0


def test_compare_refuses_different_panel_hashes(make_run, capsys):
    a = make_run("a", [evaluation("a")])
    b = make_run("b", [evaluation("b", panel_hash=OTHER_HASH)])
    with pytest.raises(LocoauditError, match=r"different panel hashes.*a: aaaaaaaaaaaa; b: bbbbbbbbbbbb"):
        compare_runs(build_record(a), build_record(b), "disturbance")
    code = main(["runs", "compare", str(a), str(b), "--panel", "disturbance", "--runs-dir", str(a.parent)])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "bbbbbbbbbbbb" in err


def test_compare_refuses_a_run_without_the_panel(make_run, capsys):
    a = make_run("a", [evaluation("a")])
    b = make_run("b", [evaluation("b", panel="terrain")])
    code = main(["runs", "compare", str(a), str(b), "--panel", "disturbance", "--runs-dir", str(a.parent)])
    assert code == 2
    assert "run b has no heldout evaluation on panel 'disturbance'" in capsys.readouterr().err


def test_unknown_run_is_one_line_exit_2(tmp_path, capsys):
    make = ["runs", "compare", "nope", "nada", "--panel", "p", "--ledger", str(tmp_path / "l.sqlite")]
    assert main(make) == 2
    assert "no ledger yet" in capsys.readouterr().err
