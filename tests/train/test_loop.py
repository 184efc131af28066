"""The training loop's bookkeeping on a fake VecEnv of a few lines: no physics, milliseconds."""

import dataclasses
import json

import numpy as np
import torch
from tensordict import TensorDict

from locoaudit.manifest.schema import Manifest, PPOSection
from locoaudit.task.env import StepResult
from locoaudit.task.episodes import EndedEpisodes
from locoaudit.task.vecenv import TaskVecEnv
from locoaudit.train import session
from locoaudit.train.loop import Trainer
from locoaudit.train.ppo import build_ppo

EPISODE, N = 5, 4  # steps per episode (all end by time-out), envs


class FakeEnv(TaskVecEnv):
    """Reward 1 per step; every episode lasts EPISODE steps; envs start at phases 0..N-1."""

    def __init__(self):
        self.num_envs, self.num_actions, self.max_episode_length = N, 2, EPISODE
        self.device, self.cfg, self.dt, self.last_result = "cpu", {}, 0.5, None
        self.step_count = np.arange(N)
        self.episode_length_buf = torch.zeros(N)

    def get_observations(self) -> TensorDict:
        obs = torch.from_numpy(self.step_count[:, None].astype(np.float32)).repeat(1, 3)
        return TensorDict({"actor": obs, "critic": obs}, batch_size=[N])

    def step(self, actions):
        self.step_count = self.step_count + 1
        done = self.step_count % EPISODE == 0
        ids = np.flatnonzero(done)
        n, full = len(ids), np.full(len(ids), 1.0 * EPISODE)
        reason = np.full(n, "time_out")
        ended = EndedEpisodes.of_reasons(ids, full, full, {"alive": full}, reason, np.zeros((n, 2)))
        ones = np.ones(N)
        self.last_result = StepResult({}, ones, ~done & False, done, {"alive": ones}, np.zeros((N, 2)), ended)
        extras = {"time_outs": torch.from_numpy(done), "log": {}}
        return self.get_observations(), torch.ones(N), torch.from_numpy(done), extras

    def task_stats(self):
        return {"terrain_level": None, "phase_entropy": 1.0, "nonfinite_resets": 0}

    def state_dict(self):
        return {"step_count": self.step_count.copy()}

    def load_state_dict(self, state):
        self.step_count = state["step_count"].copy()

    def set_observations(self, obs):
        pass


def fake_trainer(tmp_path, steps=3, save_interval=2) -> Trainer:
    ppo = PPOSection(
        num_steps_per_env=steps,
        num_learning_epochs=2,
        num_mini_batches=2,
        actor_hidden_dims=(8,),
        critic_hidden_dims=(8,),
        save_interval=save_interval,
    )
    manifest = dataclasses.replace(Manifest(), ppo=ppo)
    torch.manual_seed(0)
    env = FakeEnv()
    alg, _ = build_ppo(env, ppo, "cpu")
    (tmp_path / "checkpoints").mkdir()
    return Trainer(manifest, env, alg, tmp_path)


def rows(tmp_path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / session.METRICS).read_text().splitlines()]


def test_counters_and_episode_statistics_add_up(tmp_path):
    trainer = fake_trainer(tmp_path)
    result = session.run(trainer, 4, quiet=True)
    log = rows(tmp_path)
    assert [r["iteration"] for r in log] == [1, 2, 3, 4] and result["iteration"] == 4
    assert [r["samples"] for r in log] == [12, 24, 36, 48]  # N envs x 3 steps per iteration
    assert [r["updates"] for r in log] == [4, 8, 12, 16]  # 2 epochs x 2 minibatches
    # envs start at phases 0..3 of a 5-step episode: iteration 1 (steps 1-3) ends envs 2 and 3
    assert log[0]["episodes"] == 2 and log[0]["terminations"] == {"time_out": 1.0}
    assert log[0]["fall_fraction"] == 0.0 and log[0]["mean_episode_return"] == 5.0
    assert log[0]["mean_episode_length_s"] == 2.5  # 5 steps x 0.5 s
    assert log[0]["reward_terms"]["alive"] == {"per_episode": 5.0, "per_second": 2.0}
    assert log[0]["reset"]["max_step_fraction"] == 0.25  # one env of four ends on each step
    assert sum(r["episodes"] for r in log) == 9  # 12 steps from phases 0,1,2,3: 2 + 2 + 2 + 3 ends
    walls = [r["wall_clock_s"] for r in log]
    assert walls == sorted(walls) and walls[-1] == trainer.counters.wall_clock_s
    assert (tmp_path / "checkpoints" / "model_2.pt").is_file()
    assert (tmp_path / "checkpoints" / "model_4.pt").is_file()
    assert not (tmp_path / "checkpoints" / "model_3.pt").exists()


def test_hook_stops_the_loop_and_the_last_state_is_saved(tmp_path):
    trainer = fake_trainer(tmp_path, save_interval=100)
    seen = []
    result = session.run(
        trainer, 10, quiet=True, on_iteration=lambda r: seen.append(r["iteration"]) or len(seen) == 3
    )
    assert seen == [1, 2, 3] and result["iteration"] == 3 and not result["stopped_early"]
    assert (tmp_path / "checkpoints" / "model_3.pt").is_file()
    assert len(rows(tmp_path)) == 3


def test_minutes_budget_counts_training_time_only(tmp_path):
    trainer = fake_trainer(tmp_path)
    trainer.counters.wall_clock_s = 100.0  # as if resumed after 100 s of training
    result = session.run(trainer, 10, quiet=True, minutes=1e-9)
    assert result["iteration"] == 1  # one iteration always runs; then the budget is spent
    result = session.run(trainer, 10, quiet=True, minutes=0.0)
    assert result["iteration"] == 1  # a spent budget runs none
