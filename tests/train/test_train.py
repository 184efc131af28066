"""Training end to end on a tiny configuration: run directory, ledger, checkpoints, resume, bootstrapping."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from locoaudit.errors import LocoauditError
from locoaudit.manifest import manifest_hash
from locoaudit.train import session
from locoaudit.train.checkpoint import load_checkpoint

METRICS_FIELDS = {
    "iteration",
    "samples",
    "updates",
    "wall_clock_s",
    "collect_s",
    "update_s",
    "collect_cpu_s",
    "update_cpu_s",
    "env_steps_per_s",
    "episodes",
    "mean_episode_return",
    "mean_episode_length_s",
    "reward_terms",
    "terminations",
    "fall_fraction",
    "reset",
    "tracking",
    "advantage",
    "clip_fraction",
    "approx_kl",
    "explained_variance",
    "learning_rate",
    "action_std",
    "terrain_level",
    "phase_entropy",
    "nonfinite_resets",
    "losses",
}
NUM_ENVS = 16


def read_metrics(run_dir):
    return [json.loads(line) for line in (run_dir / session.METRICS).read_text().splitlines()]


def train(manifest, out, iterations, seed=1):
    trainer = session.start(manifest, NUM_ENVS, seed, out, "cpu", threads=1)
    session.run(trainer, iterations, quiet=True)
    return trainer


def test_two_iterations_make_a_complete_run_directory(tiny_manifest, tmp_path):
    trainer = train(tiny_manifest, tmp_path, 2)
    run = trainer.run_dir
    record = json.loads((run / "run.json").read_text())
    assert record["manifest_hash"] == manifest_hash(tiny_manifest)
    assert record["seed"] == 1 and record["num_envs"] == NUM_ENVS
    assert {"mujoco", "torch", "rsl-rl-lib", "numpy"} <= set(record["libraries"])
    assert record["machine"]["cpu_count"] >= 1 and record["code"]["package"]
    rows = read_metrics(run)
    assert [r["iteration"] for r in rows] == [1, 2]
    for row in rows:
        assert set(row) >= METRICS_FIELDS
        assert set(row["advantage"]) == {"mean", "std", "p5", "p95"}
        assert set(row["reward_terms"]) == set(tiny_manifest.rewards.terms)
        if row["episodes"]:
            assert math.isclose(sum(row["terminations"].values()), 1.0)
    assert rows[1]["samples"] == 2 * NUM_ENVS * tiny_manifest.ppo.num_steps_per_env
    assert (
        rows[1]["updates"] == 2 * tiny_manifest.ppo.num_learning_epochs * tiny_manifest.ppo.num_mini_batches
    )
    state = load_checkpoint(run)
    assert state["counters"]["iteration"] == 2
    assert (run / "checkpoints" / "model_2.pt").is_file()
    assert "actor_state_dict" in state["alg"]


def test_same_seed_same_first_iteration_metrics(tiny_manifest, tmp_path):
    a = read_metrics(train(tiny_manifest, tmp_path / "a", 1).run_dir)[0]
    b = read_metrics(train(tiny_manifest, tmp_path / "b", 1).run_dir)[0]
    timing = {"wall_clock_s", "collect_s", "update_s", "env_steps_per_s", "collect_cpu_s", "update_cpu_s"}
    assert {k: v for k, v in a.items() if k not in timing} == {k: v for k, v in b.items() if k not in timing}


def test_resume_matches_the_uninterrupted_run(tiny_manifest, tmp_path):
    straight = read_metrics(train(tiny_manifest, tmp_path / "straight", 4).run_dir)
    first = train(tiny_manifest, tmp_path / "split", 2)
    resumed = session.resume(first.run_dir, None, force=False, device=None)
    assert resumed.counters.iteration == 2
    session.run(resumed, 2, quiet=True)
    split = read_metrics(first.run_dir)
    timing = {"wall_clock_s", "collect_s", "update_s", "env_steps_per_s", "collect_cpu_s", "update_cpu_s"}
    for a, b in zip(straight, split, strict=True):
        assert {k: v for k, v in a.items() if k not in timing} == {
            k: v for k, v in b.items() if k not in timing
        }
    record = json.loads((first.run_dir / "run.json").read_text())
    assert record["resumes"][0]["at_iteration"] == 2 and not record["resumes"][0]["forced"]


def test_resume_refuses_a_changed_manifest_unless_forced(tiny_manifest, tmp_path):
    run = train(tiny_manifest, tmp_path, 1).run_dir
    changed = dataclasses.replace(
        tiny_manifest, randomization=dataclasses.replace(tiny_manifest.randomization, push_velocity=0.9)
    )
    with pytest.raises(LocoauditError, match="refusing to resume: manifest hash"):
        session.resume(run, changed, force=False, device=None)
    trainer = session.resume(run, changed, force=True, device=None)
    record = json.loads((run / "run.json").read_text())
    entry = record["resumes"][-1]
    assert entry["forced"] and entry["manifest_hash"] == manifest_hash(changed)
    assert (run / entry["manifest_file"]).is_file()
    assert trainer.manifest == changed


def test_time_out_bootstrapping_changes_returns_as_computed_by_hand(tiny_manifest, tmp_path):
    manifest = dataclasses.replace(
        tiny_manifest, ppo=dataclasses.replace(tiny_manifest.ppo, num_steps_per_env=3)
    )
    trainer = session.start(manifest, 4, 0, tmp_path, "cpu", threads=1)
    env, alg = trainer.env, trainer.alg
    env.env.state.episode_step[:] = 0
    env.env.state.episode_step[1] = env.max_episode_length - 2  # env 1 times out on the 2nd step
    obs = env.get_observations()
    raw_rewards, time_outs = [], []
    with torch.inference_mode():
        for _ in range(3):
            actions = alg.act(obs)
            obs, rewards, dones, extras = env.step(actions)
            raw_rewards.append(rewards.clone())
            time_outs.append(extras["time_outs"].clone())
            alg.process_env_step(obs, rewards, dones, extras)
        alg.compute_returns(obs)
        last_values = alg.critic(obs).squeeze(-1)
    st = alg.storage
    values, dones = st.values.squeeze(-1), st.dones.squeeze(-1).float()
    gamma, lam = tiny_manifest.ppo.gamma, tiny_manifest.ppo.lam
    assert time_outs[1][1] and not time_outs[0].any()
    # hand-computed GAE where a time-out adds gamma * V(s_t) to the reward of that step
    expected = torch.zeros(3, 4)
    advantage = torch.zeros(4)
    for t in reversed(range(3)):
        reward = raw_rewards[t] + gamma * values[t] * time_outs[t].float()
        next_value = last_values if t == 2 else values[t + 1]
        delta = reward + (1 - dones[t]) * gamma * next_value - values[t]
        advantage = delta + (1 - dones[t]) * gamma * lam * advantage
        expected[t] = advantage + values[t]
    torch.testing.assert_close(st.returns.squeeze(-1), expected)
    assert not torch.allclose(st.rewards[1, 1, 0], raw_rewards[1][1])  # the time-out step was bootstrapped


def test_stop_request_mid_rollout_discards_the_partial_iteration(tiny_manifest, tmp_path):
    trainer = session.start(tiny_manifest, 4, 0, tmp_path, "cpu", threads=1)
    assert trainer.iteration(stop_requested=lambda: True) is None
    assert trainer.counters.iteration == 0 and trainer.alg.storage.step == 0
    assert np.isfinite(trainer.env.get_observations()["actor"].numpy()).all()


def test_unavailable_cuda_is_a_clear_error(tiny_manifest, tmp_path):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(LocoauditError, match="CUDA is not available"):
        session.start(tiny_manifest, 4, 0, tmp_path, "cuda", threads=1)
