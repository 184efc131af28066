"""The promotion gate on constructed records, and `locoaudit promote` / `runs` exit codes and log."""

import json
from contextlib import closing

import pytest
from ledger_helpers import OTHER_HASH, evaluation

from locoaudit.cli import main
from locoaudit.ledger.gate import decide
from locoaudit.ledger.record import build_record
from locoaudit.ledger.store import open_ledger

CHAMP = (0.10, 0.05, 0.15), (0.20, 0.18, 0.22)
BETTER_FALL = (0.01, 0.00, 0.03)  # delta interval [0.00 - 0.15, 0.03 - 0.05] excludes 0
WORSE_VEL = (0.40, 0.35, 0.45)
P = ["disturbance"]


@pytest.fixture
def runs(make_run):
    """runs(run_id, heldout=(fall, vel) or None, transfer=(fall, vel) or None, **kwargs) -> record."""

    def make(run_id, heldout=CHAMP, transfer=CHAMP, **kw):
        evs = [] if heldout is None else [evaluation(run_id, *heldout, **kw)]
        if transfer is not None:
            evs.append(evaluation(run_id, *transfer, kind="transfer", simulator="mjx"))
        return build_record(make_run(run_id, evs))

    return make


def test_better_on_heldout_and_transfer_is_promoted(runs):
    champ, cand = runs("champ"), runs("cand", (BETTER_FALL, CHAMP[1]), (BETTER_FALL, CHAMP[1]))
    d = decide(cand, champ, P)
    assert d.promoted and d.reasons == () and d.champion_id == "champ"
    assert d.panels == (("disturbance", "a" * 64),)
    assert any("heldout disturbance [mujoco_cpu] fall_rate" in e and e.endswith("better") for e in d.evidence)


@pytest.mark.parametrize(
    ("heldout", "transfer", "reason"),
    [
        ((CHAMP[0], WORSE_VEL), CHAMP, "heldout disturbance [mujoco_cpu] lin_vel_error worse"),
        ((BETTER_FALL, WORSE_VEL), (BETTER_FALL, CHAMP[1]), "lin_vel_error worse"),  # mixed
        (CHAMP, CHAMP, "heldout disturbance [mujoco_cpu]: no gate metric (fall_rate, lin_vel_error) better"),
        ((BETTER_FALL, CHAMP[1]), CHAMP, "transfer disturbance [mjx]: no gate metric"),  # held-out alone
        ((BETTER_FALL, CHAMP[1]), (BETTER_FALL, WORSE_VEL), "transfer disturbance [mjx] lin_vel_error worse"),
    ],
)
def test_worse_mixed_or_unimproved_is_refused(runs, heldout, transfer, reason):
    d = decide(runs("cand", heldout, transfer), runs("champ"), P)
    assert not d.promoted and any(reason in r for r in d.reasons), d.reasons


def test_no_transfer_evidence_refuses_unless_without_transfer(runs):
    champ, cand = runs("champ"), runs("cand", (BETTER_FALL, CHAMP[1]), None)
    d = decide(cand, champ, P)
    assert not d.promoted and any(r.startswith("no transfer evidence") for r in d.reasons)
    d = decide(cand, champ, P, without_transfer=True)
    assert d.promoted and d.overrides == ("without-transfer (no transfer evidence on panel 'disturbance')",)
    unmatched = decide(runs("cand2", (BETTER_FALL, CHAMP[1])), runs("champ2", transfer=None), P)
    assert not unmatched.promoted and "matched with champion champ2" in unmatched.reasons[0]


def test_champion_without_the_panel_or_with_another_hash_refuses(runs):
    cand = runs("cand", (BETTER_FALL, CHAMP[1]), (BETTER_FALL, CHAMP[1]))
    d = decide(cand, runs("champ", heldout=None), P)
    assert "run champ has no heldout evaluation on panel 'disturbance'" in d.reasons
    d = decide(cand, runs("champ2", panel_hash=OTHER_HASH), P)
    assert not d.promoted and "different panel hashes" in d.reasons[0]
    d = decide(cand, runs("champ3"), ["terrain"])
    assert "run cand has no heldout evaluation on panel 'terrain'" in d.reasons


def test_bootstrap_only_for_the_first_run(runs):
    first = runs("first")
    assert not decide(first, None, P).promoted
    d = decide(first, None, P, bootstrap=True)
    assert d.promoted and d.overrides == ("bootstrap",)
    d = decide(runs("cand", (BETTER_FALL, CHAMP[1]), (BETTER_FALL, CHAMP[1])), first, P, bootstrap=True)
    assert not d.promoted and "--bootstrap is only for a task's first run" in d.reasons[0]
    assert "already the champion" in decide(first, first, P).reasons[0]


def test_blocking_findings_refuse_unless_overridden(runs):
    champ, cand = runs("champ"), runs("cand", (BETTER_FALL, CHAMP[1]), (BETTER_FALL, CHAMP[1]))
    findings = ["reward: feet_air_time dominates the return"]
    d = decide(cand, champ, P, findings=findings)
    assert not d.promoted and d.reasons == ("blocking finding: reward: feet_air_time dominates the return",)
    d = decide(cand, champ, P, findings=findings, override_findings=True)
    assert d.promoted and d.overrides == ("override-findings (1)",) and d.findings == tuple(findings)


def test_promote_command_exit_codes_log_and_records(make_run, ledger_url, capsys):
    champ = make_run("champ", [evaluation("champ"), evaluation("champ", kind="transfer", simulator="mjx")])
    good = [
        evaluation("cand", BETTER_FALL),
        evaluation("cand", BETTER_FALL, kind="transfer", simulator="mjx"),
    ]
    cand = make_run("cand", good)
    runs_dir = ["--ledger", ledger_url]  # an SQLite file or a PostgreSQL database
    assert main(["promote", str(champ), "--panel", "disturbance", *runs_dir]) == 1
    assert "only with --bootstrap" in capsys.readouterr().out
    assert main(["promote", str(champ), "--panel", "disturbance", "--bootstrap", *runs_dir]) == 0
    assert json.loads((champ / "record.json").read_text())["promotion"] == "champion"
    no_transfer = make_run("lone", [evaluation("lone", BETTER_FALL)])
    assert main(["promote", str(no_transfer), "--panel", "disturbance", *runs_dir]) == 1
    assert "no transfer evidence" in capsys.readouterr().out
    assert main(["promote", str(cand), "--panel", "disturbance", "--panel", "disturbance", *runs_dir]) == 0
    assert "PROMOTED cand (against champion champ" in capsys.readouterr().out
    assert json.loads((champ / "record.json").read_text())["promotion"] == "superseded"
    assert json.loads((cand / "record.json").read_text())["promotion"] == "champion"
    with closing(open_ledger(ledger_url, champ.parent)) as ledger:
        log = ledger.promotions()
    assert [(e.run_id, e.decision) for e in log] == [
        ("champ", "refused"),
        ("champ", "promoted"),
        ("lone", "refused"),
        ("cand", "promoted"),
    ]
    assert log[1].overrides == ("bootstrap",) and log[3].champion_id == "champ" and log[3].user
    assert main(["runs", "list", *runs_dir]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["run", "id", "manifest"] and len(table) == 4
    assert main(["runs", "show", "cand", *runs_dir]) == 0
    out = capsys.readouterr().out
    assert "promotion: champion" in out and "samples" in out and "held-out evidence" in out
    evidence = [line.split("| ", 1)[-1].strip() for line in out.splitlines()]
    directions = {
        e.split()[0]: e.split("(")[-1] for e in evidence if e.endswith("better)") or e.endswith("tion)")
    }
    assert directions["fall_rate"] == directions["lin_vel_error"] == "lower is better)"
    assert directions["time_to_fall_s"] == "no direction)"  # the shared table, not a guess per report


def test_bad_input_is_one_line_exit_2(tmp_path, capsys):
    assert main(["runs", "add", str(tmp_path), "--runs-dir", str(tmp_path)]) == 2
    assert "not a run directory (no run.json)" in capsys.readouterr().err
    assert main(["runs", "show", "x", "--ledger", "mysql://u:s3cret@host/db"]) == 2
    err = capsys.readouterr().err
    assert "scheme 'mysql' is not supported" in err and "s3cret" not in err and err.count("\n") == 1


def test_evaluation_that_is_not_held_out_refuses(runs, make_run):
    champ = runs("champ")
    overlap = evaluation("cand", BETTER_FALL)
    overlap["held_out"] = False
    transfer = evaluation("cand", BETTER_FALL, kind="transfer", simulator="mjx")
    cand = build_record(make_run("cand", [overlap, transfer]))
    d = decide(cand, champ, P)
    assert (
        not d.promoted
        and "heldout evaluation of run cand on panel 'disturbance' is not held out" in d.reasons[0]
    )
    assert not decide(cand, None, P, bootstrap=True).promoted
