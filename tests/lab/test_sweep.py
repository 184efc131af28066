"""`locoaudit sweep`: the lab's jobs as Ray tasks on a local Ray give the runs an in-process sweep
gives (same seeds, same losses), and the driver records each run, evaluation and lab once."""

import json

from lab_helpers import lab_args

from locoaudit.cli import main
from locoaudit.lab.plan import read_state, run_dir
from locoaudit.ledger.record import read_metrics
from locoaudit.ledger.store import open_ledger

SAME = ("iteration", "samples", "updates", "losses", "advantage", "explained_variance", "learning_rate")


def _sweep(lab_inputs, out, *extra):
    args = lab_args(lab_inputs, out, "--no-transfer", "--shard-episodes", "2", *extra)
    args[:2] = ["sweep"]
    assert main(args) == 0
    (lab_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return lab_dir, read_state(lab_dir)


def _job(lab_dir, job):
    path = run_dir(lab_dir, job)
    rows = [{k: r[k] for k in SAME} for r in read_metrics(path / "metrics.jsonl")]
    (evaluation,) = job["evaluations"].values()
    body = json.loads((path / "evaluations" / evaluation).read_text())
    return rows, {k: body[k] for k in ("cells", "summary", "panel_hash", "seed", "shard_episodes")}


def test_sweep_on_ray_equals_in_process_and_records_once(local_ray, lab_inputs, tmp_path, capsys):
    ray_dir, ray_state = _sweep(lab_inputs, tmp_path / "ray", "--ray", "auto")
    assert "trained 4 envs s1" in capsys.readouterr().err
    local_dir, local_state = _sweep(lab_inputs, tmp_path / "local")
    assert [(j["num_envs"], j["seed"]) for j in ray_state["jobs"]] == [(4, 1), (8, 1)]
    for a, b in zip(ray_state["jobs"], local_state["jobs"], strict=True):
        assert a["trained"] and a["run"] != b["run"]
        ray_rows, ray_eval = _job(ray_dir, a)
        assert len(ray_rows) == 64 // (a["num_envs"] * 8)  # the samples budget, in whole iterations
        assert (ray_rows, ray_eval) == _job(local_dir, b)
    ledger = open_ledger(None, tmp_path / "ray", create=False)
    try:
        runs = ledger.list_runs()
        assert sorted(r.run_id for r in runs) == sorted(j["run"] for j in ray_state["jobs"])
        assert [len(r.evaluations) for r in runs] == [1, 1]
        assert ledger.get_lab(ray_state["lab_id"]) is not None
    finally:
        ledger.close()
