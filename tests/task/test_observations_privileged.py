"""observations.actor_privileged: privileged terms given to the actor, noiseless, once in the critic."""

import dataclasses

import numpy as np
import pytest

from locoaudit.errors import ManifestError
from locoaudit.manifest import load_manifest
from locoaudit.task.env import LocoEnv
from locoaudit.task.observations import actor_terms, critic_terms


def test_leaked_friction_is_exact_in_the_actor_and_once_in_the_critic(write_toml):
    base = load_manifest("quadruped_flat")
    assert critic_terms(base.observations)[-3:] == ("base_lin_vel", "friction", "height_scan")
    obs = dataclasses.replace(base.observations, actor_privileged=("friction",))
    env = LocoEnv(dataclasses.replace(base, observations=obs), 8, seed=0, threads=1)
    out, layout = env.observe(), env.obs_layout()
    assert actor_terms(obs)[-1] == "friction"
    assert list(critic_terms(obs)).count("friction") == 1
    assert set(layout["actor"]) <= set(layout["critic"])
    np.testing.assert_array_equal(
        out["actor"][:, layout["actor"]["friction"]][:, 0], env.state.friction.astype(np.float32)
    )
    np.testing.assert_array_equal(
        out["critic"][:, layout["critic"]["friction"]][:, 0], env.state.friction.astype(np.float32)
    )
    bad = write_toml(
        '[observations]\nactor_privileged = ["terrain_kind"]\n[rewards.terms.termination]\nweight = -1.0\n'
    )
    with pytest.raises(ManifestError, match=r"observations\.actor_privileged\[0\]"):
        load_manifest(bad)
