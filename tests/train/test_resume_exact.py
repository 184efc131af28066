"""Resume exactly, whatever the stop: Ctrl-C, kill -9, non-finite training, canonical round trips."""

import json
import math
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from locoaudit.cli import main
from locoaudit.errors import NonFiniteTraining
from locoaudit.manifest import canonical_json, load_manifest, manifest_from_canonical
from locoaudit.task.env import LocoEnv
from locoaudit.train import session
from locoaudit.train.checkpoint import load_checkpoint

TIMING = {"wall_clock_s", "collect_s", "update_s", "env_steps_per_s", "collect_cpu_s", "update_cpu_s"}


def rows(run_dir):
    return [json.loads(line) for line in (run_dir / session.METRICS).read_text().splitlines()]


def untimed(records):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in records]


def train_cli(*args):
    return main(["train", *args, "--num-envs", "4", "--quiet"])


def test_sigint_then_resume_equals_the_uninterrupted_run(tiny_toml, tmp_path):
    big_interval = tiny_toml.read_text().replace("save_interval = 2", "save_interval = 1000")
    tiny_toml.write_text(big_interval)
    assert train_cli(str(tiny_toml), "--iterations", "6", "--out", str(tmp_path / "a")) == 0
    (straight,) = (tmp_path / "a").iterdir()
    out = tmp_path / "b"
    argv = [sys.executable, "-m", "locoaudit.cli", "train", str(tiny_toml), "--num-envs", "4"]
    proc = subprocess.Popen(
        [*argv, "--iterations", "1000", "--out", str(out), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.time() + 120
    while time.time() < deadline and not any(out.glob("*/metrics.jsonl")):
        time.sleep(0.05)
    while time.time() < deadline and not next(out.glob("*/metrics.jsonl")).read_text():
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)  # lands mid-rollout or between iterations: both must be exact
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    (run,) = out.iterdir()
    done = load_checkpoint(run)["counters"]["iteration"]
    assert 1 <= done < 6 and len(rows(run)) == done
    assert train_cli("--resume", str(run), "--iterations", str(6 - done)) == 0
    assert untimed(rows(run)) == untimed(rows(straight))


def test_a_stop_mid_rollout_rewinds_to_the_last_finished_iteration(tiny_manifest, tmp_path):
    a = session.start(tiny_manifest, 4, 0, tmp_path / "a", "cpu", threads=1)
    assert a.iteration() is not None
    calls = iter(range(100))
    assert a.iteration(stop_requested=lambda: next(calls) == 2) is None  # three steps into the rollout
    assert a.counters.iteration == 1 and a.alg.storage.step == 0
    rewound = a.iteration()
    b = session.start(tiny_manifest, 4, 0, tmp_path / "b", "cpu", threads=1)  # torch's RNG is global
    b.iteration()
    assert untimed([rewound]) == untimed([b.iteration()])


def test_resume_drops_metrics_rows_past_the_checkpoint(tiny_toml, tmp_path):
    assert train_cli(str(tiny_toml), "--iterations", "2", "--out", str(tmp_path / "runs")) == 0
    (run,) = (tmp_path / "runs").iterdir()
    good = rows(run)
    with open(run / session.METRICS, "a") as f:  # what kill -9 after iteration 3 leaves behind
        f.write(json.dumps(good[-1] | {"iteration": 3}) + "\n" + '{"iteration": 4, "sam')
    assert train_cli("--resume", str(run), "--iterations", "1") == 0
    after = rows(run)
    assert [r["iteration"] for r in after] == [1, 2, 3]
    assert after[:2] == good and after[2]["samples"] == good[1]["samples"] * 3 // 2


def test_canonical_round_trip_keeps_term_order_and_bit_identical_rewards(tiny_toml):
    text = tiny_toml.read_text()
    head, _, tail = text.partition("[rewards.terms.track_lin_vel_xy]")
    reordered = tiny_toml.with_name("reordered.toml")  # track_lin_vel_xy moved to the end
    first, _, rest = tail.partition("\n[")
    reordered.write_text(head + "[" + rest + "\n[rewards.terms.track_lin_vel_xy]" + first)
    loaded = load_manifest(reordered)
    rebuilt = manifest_from_canonical(json.loads(canonical_json(loaded)))
    assert list(loaded.rewards.terms) == list(rebuilt.rewards.terms) == sorted(loaded.rewards.terms)
    envs = [LocoEnv(m, 8, seed=3, threads=1) for m in (loaded, rebuilt)]
    actions = np.random.default_rng(0).uniform(-1, 1, (5, 8, 12))
    for step in actions:
        a, b = (e.step(step) for e in envs)
        assert a.reward.tobytes() == b.reward.tobytes()


def test_non_finite_losses_stop_training_and_keep_the_last_good_iteration(tiny_manifest, tmp_path):
    trainer = session.start(tiny_manifest, 4, 0, tmp_path, "cpu", threads=1)
    session.run(trainer, 1, quiet=True)
    good = trainer.snapshot()
    trainer.alg.update = lambda: {"surrogate": math.nan, "value_function": 1.0}
    with pytest.raises(
        NonFiniteTraining, match=r"iteration 2: non-finite losses .*last good iteration saved"
    ):
        session.run(trainer, 3, quiet=True)
    state = load_checkpoint(trainer.run_dir)
    assert state["counters"]["iteration"] == 1 and len(rows(trainer.run_dir)) == 1
    assert np.array_equal(state["env"]["physics"], good["env"]["physics"])


def test_non_finite_actions_stop_training_with_one_line(tiny_manifest, tmp_path, capsys):
    import torch

    trainer = session.start(tiny_manifest, 4, 0, tmp_path, "cpu", threads=1)
    act = trainer.alg.act
    trainer.alg.act = lambda obs: act(obs) * torch.nan
    with pytest.raises(NonFiniteTraining, match="iteration 1: non-finite actions"):
        session.run(trainer, 2, quiet=True)
    assert load_checkpoint(trainer.run_dir)["counters"]["iteration"] == 0
