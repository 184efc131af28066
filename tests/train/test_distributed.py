"""Training in several processes through rsl-rl-lib's multi-GPU PPO: two CPU processes (gloo) under
torchrun give one run directory, written by rank 0, with models identical on both ranks after every
update and samples counted over both."""

import pytest

from locoaudit.cli import main
from locoaudit.errors import LocoauditError
from locoaudit.ledger.record import read_metrics
from locoaudit.train import distributed
from locoaudit.train.rundir import read_run


def test_world_comes_from_torchrun_variables(monkeypatch):
    assert (
        distributed.from_env() == distributed.World(0, 0, 1) and distributed.World().multi_gpu_cfg() is None
    )
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "1")
    monkeypatch.setenv("LOCAL_RANK", "1")
    world = distributed.from_env()
    assert not world.writer
    assert world.multi_gpu_cfg() == {"global_rank": 1, "local_rank": 1, "world_size": 2}
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(LocoauditError, match="RANK 2"):
        distributed.from_env()


def test_two_cpu_processes_train_one_run_with_identical_models(tiny_toml, tmp_path, capsys):
    out = tmp_path / "runs"
    args = ["train", str(tiny_toml), "--num-envs", "4", "--iterations", "2", "--threads", "1"]
    assert main([*args, "--out", str(out), "--quiet", "--nproc", "2"]) == 0
    (run,) = out.iterdir()  # rank 1 wrote nothing
    record = read_run(run)
    assert record["world_size"] == 2 and record["num_envs"] == 4
    rows = read_metrics(run / "metrics.jsonl")
    per_iteration = 2 * 4 * 8  # both ranks' 4 envs x num_steps_per_env 8
    assert [r["samples"] for r in rows] == [per_iteration, 2 * per_iteration]
    assert [r["rank_model_spread"] for r in rows] == [0.0, 0.0]  # gradients averaged, normalisers synced
    assert (run / "checkpoints" / "model_2.pt").is_file()
    assert main(["train", "--resume", str(run), "--nproc", "2"]) == 2  # refused before launching
    assert "resume in one process" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--iterations", "1", "--quiet"]) == 0  # one process resumes
    assert read_metrics(run / "metrics.jsonl")[-1]["iteration"] == 3
