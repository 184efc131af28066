"""The sim-to-sim gap per cell: transfer (second engine) against the held-out MuJoCo evaluation."""

from locoaudit.evaluate.record import parse_evaluation
from locoaudit.ledger.gap import sim_to_sim_gaps
from run_dirs import evaluation


def _parsed(*objs):
    return [parse_evaluation(o, f"e{i}.json") for i, o in enumerate(objs)]


def test_gap_per_cell_is_engine_minus_mujoco():
    heldout = evaluation("r", fall=(0.10, 0.05, 0.15), vel=(0.20, 0.18, 0.22))
    transfer = evaluation(
        "r", fall=(0.40, 0.3, 0.5), vel=(0.50, 0.4, 0.6), kind="transfer", simulator="genesis-1.4.5"
    )
    transfer["skipped_cells"] = [{"name": "curbs", "reason": "heightfield terrain is not mapped"}]
    lines = sim_to_sim_gaps(_parsed(heldout, transfer))
    assert lines[0].endswith("mujoco_cpu -> genesis-1.4.5")
    assert lines[1].split() == ["push_1.0", "fall_rate", "0.1", "->", "0.4", "gap", "0.3"]
    assert lines[2].split() == ["push_1.0", "lin_vel_error", "0.2", "->", "0.5", "gap", "0.3"]
    assert lines[3].split()[:4] == ["curbs", "skipped", "in", "genesis-1.4.5:"]


def test_solver_sensitivity_is_no_transfer_and_a_lone_transfer_says_so():
    old = evaluation("r", kind="transfer", simulator="mujoco_cpu_solver_perturbed")
    assert sim_to_sim_gaps(_parsed(old)) == []  # read as solver_sensitivity: no second simulator
    lone = evaluation("r", kind="transfer", simulator="genesis-1.4.5", seed=9)
    assert sim_to_sim_gaps(_parsed(lone))[0].endswith("no matching held-out evaluation")
