"""Issue 17: no promotion from NaN, from a handful of episodes, or from evidence on some panels only.

Each case builds the evaluations, runs the gate (or `locoaudit promote` / `runs compare`) and asserts the
decision and its stated reason.
"""

import json
from pathlib import Path

import pytest

from locoaudit.audit import gait
from locoaudit.cli import main
from locoaudit.findings import blocking
from locoaudit.ledger.gate import decide
from locoaudit.ledger.record import build_record
from locoaudit.ledger.store import SqliteLedger
from run_dirs import evaluation, with_spec

CHAMP = (0.10, 0.05, 0.15), (0.20, 0.18, 0.22)
BETTER = (0.01, 0.00, 0.03), CHAMP[1]  # fall-rate delta interval [0.00 - 0.15, 0.03 - 0.05] excludes 0
BOTH = ["disturbance", "heldout_terrain"]
WHERE = "below the floor: heldout disturbance [mujoco_cpu] cell friction_high"
FLOOR = {"cells": ["friction_high"], "max_fall_rate": 0.15, "max_lin_vel_error": 0.4}


@pytest.fixture
def run(make_run):
    """run(run_id, {panel: (fall, vel)}, transfer={panel: (fall, vel)}, **evaluation kwargs) -> record."""

    def make(run_id, heldout, transfer=None, spec=None, **kw):
        evs = [evaluation(run_id, *fv, panel=p, **kw) for p, fv in heldout.items()]
        evs += [
            evaluation(run_id, *fv, panel=p, kind="transfer", simulator="genesis", **kw)
            for p, fv in (heldout if transfer is None else transfer).items()
        ]
        return build_record(make_run(run_id, [with_spec(e, **spec) if spec else e for e in evs]))

    return make


# 1. NaN and inverted intervals are refused when the file is read: one line, exit 2, naming file and field
@pytest.mark.parametrize(
    ("fall", "field", "why"),
    [
        ((float("nan"), 0.05, 0.15), "summary.fall_rate.value", "not a finite number (nan)"),
        ((0.10, 0.15, 0.05), "summary.fall_rate.ci", "inverted interval [0.15, 0.05]"),
        ((0.30, 0.05, 0.15), "summary.fall_rate.value", "0.3 lies outside its interval [0.05, 0.15]"),
    ],
)
def test_nan_or_inverted_evaluation_is_refused_at_read(make_run, run, capsys, fall, field, why):
    champ = make_run(
        "champ", [evaluation("champ"), evaluation("champ", kind="transfer", simulator="genesis")]
    )
    assert (
        main(
            ["promote", str(champ), "--panel", "disturbance", "--bootstrap", "--runs-dir", str(champ.parent)]
        )
        == 0
    )
    bad = json.loads(json.dumps(evaluation("cand", fall)))  # cells and summary no longer share one dict
    bad["cells"][0]["metrics"]["fall_rate"] = {"value": 0.1, "ci": [0.05, 0.15]}
    cand = make_run("cand", [bad, evaluation("cand", BETTER[0], kind="transfer", simulator="genesis")])
    capsys.readouterr()
    assert main(["promote", str(cand), "--panel", "disturbance", "--runs-dir", str(champ.parent)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"locoaudit: error: {cand / 'evaluations' / 'disturbance-0.json'}: {field}: {why}"
    assert [e.run_id for e in SqliteLedger(champ.parent / "ledger.sqlite").promotions()] == ["champ"]


# 2. too few episodes per compared cell: "insufficient evidence", in the gate and in `runs compare`
def test_one_episode_is_insufficient_evidence(run, make_run, capsys):
    tiny = {"episodes": 1}
    champ = run("champ", {"disturbance": ((0.2010, 0.2010, 0.2010), CHAMP[1])}, **tiny)
    cand = run("cand", {"disturbance": ((0.2000, 0.2000, 0.2000), CHAMP[1])}, **tiny)
    d = decide(cand, champ, ["disturbance"])
    assert not d.promoted
    assert (
        "insufficient evidence: heldout disturbance [mujoco_cpu] of run cand: "
        "1 episodes in cell push_1.0 (min_episodes 32)" in d.reasons
    )
    assert any(
        r.startswith("insufficient evidence: heldout disturbance [mujoco_cpu] of run champ: ")
        for r in d.reasons
    )
    assert all(e.endswith("insufficient evidence") for e in d.evidence)
    first = run("first", {"disturbance": BETTER}, **tiny)
    assert any(
        r.startswith("insufficient evidence")
        for r in decide(first, None, ["disturbance"], bootstrap=True).reasons
    )
    runs = str(Path(champ.run_dir).parent)
    assert (
        main(["runs", "compare", champ.run_dir, cand.run_dir, "--panel", "disturbance", "--runs-dir", runs])
        == 0
    )
    out = capsys.readouterr().out
    assert "insufficient evidence (A): 1 episodes in cell push_1.0 (min_episodes 32)" in out
    rows = [line for line in out.splitlines() if " fall_rate " in line and " gap " not in line]
    assert any(line.startswith("B: sim-to-sim gap disturbance") for line in out.splitlines())
    assert len(rows) == 4 and all(
        r.rstrip().endswith("insufficient evidence") for r in rows
    )  # cell + summary, 2 kinds


@pytest.mark.parametrize(("episodes", "promoted"), [(8, True), (7, False)])
def test_min_episodes_is_declared_by_the_panel(run, episodes, promoted):
    spec = {"min_episodes": 8}
    champ = run("champ", {"disturbance": CHAMP}, spec=spec, episodes=episodes)
    cand = run("cand", {"disturbance": BETTER}, spec=spec, episodes=episodes)
    d = decide(cand, champ, ["disturbance"])
    assert d.promoted is promoted, d.reasons
    assert promoted or d.reasons[0].endswith(f"{episodes} episodes in cell push_1.0 (min_episodes 8)")


# 3. "at least one better" is decided per named panel
@pytest.mark.parametrize(
    ("disturbance", "terrain", "reason"),
    [
        (
            BETTER,
            CHAMP,
            "heldout heldout_terrain [mujoco_cpu]: no gate metric (fall_rate, lin_vel_error) better",
        ),
        (CHAMP, BETTER, "heldout disturbance [mujoco_cpu]: no gate metric (fall_rate, lin_vel_error) better"),
        (BETTER, BETTER, None),
    ],
)
def test_at_least_one_better_on_every_panel(run, disturbance, terrain, reason):
    champ = run("champ", {"disturbance": CHAMP, "heldout_terrain": CHAMP})
    cand = run("cand", {"disturbance": disturbance, "heldout_terrain": terrain})
    d = decide(cand, champ, BOTH)
    assert d.promoted is (reason is None), d.reasons
    if reason:
        assert f"{reason} beyond its interval" in d.reasons
        assert sum("no gate metric" in r for r in d.reasons) == 2  # held-out and transfer


# 4. transfer evidence is required on every named panel, unless --without-transfer (recorded)
def test_transfer_evidence_on_every_named_panel(run, make_run, capsys):
    both = {"disturbance": BETTER, "heldout_terrain": BETTER}
    champ = run("champ", {"disturbance": CHAMP, "heldout_terrain": CHAMP})
    cand = run("cand", both, transfer={"disturbance": BETTER})
    d = decide(cand, champ, BOTH)
    assert not d.promoted and d.reasons == (
        "no transfer evidence on panel 'heldout_terrain' "
        "(--without-transfer promotes on held-out evidence alone)",
    )
    d = decide(cand, champ, BOTH, without_transfer=True)
    assert d.promoted and d.overrides == (
        "without-transfer (no transfer evidence on panel 'heldout_terrain')",
    )
    runs = ["--runs-dir", str(Path(champ.run_dir).parent)]
    panels = ["--panel", "disturbance", "--panel", "heldout_terrain"]
    assert main(["promote", champ.run_dir, *panels, "--bootstrap", *runs]) == 0
    assert main(["promote", cand.run_dir, *panels, *runs]) == 1
    assert main(["promote", cand.run_dir, *panels, "--without-transfer", *runs]) == 0
    log = SqliteLedger(Path(champ.run_dir).parent / "ledger.sqlite").promotions("cand")
    assert [e.decision for e in log] == ["refused", "promoted"]
    assert log[1].overrides == ("without-transfer (no transfer evidence on panel 'heldout_terrain')",)


def test_transfer_legs_count_only_kind_transfer(run, make_run):
    champ = run("champ", {"disturbance": CHAMP})
    sensitivity = evaluation("cand", *BETTER, kind="transfer", simulator="genesis")
    cand = build_record(make_run("cand", [evaluation("cand", *BETTER), sensitivity]))
    assert decide(cand, champ, ["disturbance"]).promoted
    cand2 = build_record(make_run("cand2", [evaluation("cand2", *BETTER)]))
    assert "no transfer evidence on panel 'disturbance'" in decide(cand2, champ, ["disturbance"]).reasons[0]


# issue 9.3: the competence floor, declared and hashed with the panel, holds even for a bootstrap
@pytest.mark.parametrize(
    ("vel", "reason"),
    [
        (
            (0.53, 0.50, 0.56),
            "below the floor: heldout disturbance [mujoco_cpu] cell friction_high lin_vel_error 0.53 > 0.4",
        ),
        ((0.25, 0.22, 0.28), None),
    ],
)
def test_floor_refuses_even_a_bootstrap(run, vel, reason):
    spec = {"floor": FLOOR}
    first = run(
        "first", {"disturbance": ((0.0, 0.0, 0.06), vel)}, spec=spec, cells=("push_1.0", "friction_high")
    )
    d = decide(first, None, ["disturbance"], bootstrap=True)
    assert d.promoted is (reason is None) and d.overrides == ("bootstrap",)
    assert reason is None or d.reasons == (reason,)


def test_floor_cell_not_evaluated_is_below_the_floor(make_run):
    ev = with_spec(evaluation("first", *BETTER, cells=("push_1.0", "friction_high")), floor=FLOOR)
    ev["cells"] = ev["cells"][:1]  # the panel declares friction_high; the file has no result for it
    first = build_record(
        make_run("first", [ev, evaluation("first", *BETTER, kind="transfer", simulator="g")])
    )
    d = decide(first, None, ["disturbance"], bootstrap=True)
    assert not d.promoted and d.reasons == (
        f"{WHERE} fall_rate not measured (at most 0.15)",
        f"{WHERE} lin_vel_error not measured (at most 0.4)",
    )


def test_a_policy_that_does_not_step_blocks_promotion_unless_overridden(run):
    stats = {"duty": dict.fromkeys(("FL", "FR", "RL", "RR"), 1.0), "flight": 0.0, "in_phase": None}
    stats |= {"stride_hz": 0.12, "left_right": 0.0, "front_back": 0.0}
    findings = blocking([f.to_json() for f in gait.judge(stats)])
    assert findings == ["gait.standing: the policy does not step under forward commands (0.12 touchdowns/s)"]
    first = run("first", {"disturbance": BETTER})
    d = decide(first, None, ["disturbance"], bootstrap=True, findings=findings)
    assert not d.promoted and d.reasons == (f"blocking finding: {findings[0]}",)
    d = decide(first, None, ["disturbance"], bootstrap=True, findings=findings, override_findings=True)
    assert d.promoted and d.overrides == ("override-findings (1)", "bootstrap")


def test_record_json_is_unchanged_by_the_ledger_round_trip(run):
    rec = run("r", {"disturbance": CHAMP}, spec={"floor": FLOOR}, cells=("push_1.0", "friction_high"))
    (e, _) = rec.evaluations
    assert json.loads(json.dumps(e.to_json())) == e.to_json() and e.criteria.min_episodes == 32
    assert e.floor.limits() == {"fall_rate": 0.15, "lin_vel_error": 0.4}
