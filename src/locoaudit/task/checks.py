"""Validation that needs more than the manifest file: the robot model and the batch size.

`load_checked` is what `manifest check` and `train` both call, so a manifest that check accepts
is one that train can build: validation happens once, up front, naming the file and key.
"""

from __future__ import annotations

from pathlib import Path

from locoaudit.errors import ManifestError
from locoaudit.manifest import Manifest
from locoaudit.manifest.load import manifest_from_dict, read_toml
from locoaudit.robots.adapters import ROBOTS

BODY_FIELDS = ("undesired_contact_bodies", "termination_contact_bodies")


def load_checked(name_or_path: str | Path, num_envs: int) -> Manifest:
    """Load and validate a manifest, its robot's body names and its PPO batch at num_envs."""
    table, source = read_toml(name_or_path)
    manifest = manifest_from_dict(table, source)
    check_robot(manifest, source)
    check_batch(manifest, num_envs, source)
    check_backend(manifest, source)
    return manifest


def check_backend(m: Manifest, source: str) -> None:
    """sim.backend = 'warp' needs mujoco-warp installed (the `warp` extra)."""
    from importlib.util import find_spec

    if m.sim.backend == "warp" and (find_spec("mujoco_warp") is None or find_spec("warp") is None):
        raise ManifestError(
            source, "sim.backend", "'warp' needs mujoco-warp and warp-lang: pip install -e '.[warp]'"
        )


def check_robot(m: Manifest, source: str) -> None:
    """The robot exists and every contact body the manifest names is one of its bodies."""
    if m.robot.name not in ROBOTS:
        raise ManifestError(
            source, "robot.name", f"unknown robot {m.robot.name!r} (known: {', '.join(sorted(ROBOTS))})"
        )
    named = [(f, i, n) for f in BODY_FIELDS for i, n in enumerate(getattr(m.robot, f))]
    if not named:
        return
    bodies = {b.name for b in ROBOTS[m.robot.name].load_spec().bodies}
    for field, i, name in named:
        if name not in bodies:
            known = ", ".join(sorted(b for b in bodies if b))
            raise ManifestError(
                source, f"robot.{field}[{i}]", f"no body {name!r} in robot {m.robot.name} (bodies: {known})"
            )


def check_batch(m: Manifest, num_envs: int, source: str) -> None:
    """Each PPO minibatch holds at least one sample: num_envs x num_steps_per_env >= num_mini_batches."""
    batch = num_envs * m.ppo.num_steps_per_env
    if m.ppo.num_mini_batches > batch:
        raise ManifestError(
            source,
            "ppo.num_mini_batches",
            f"{m.ppo.num_mini_batches} minibatches of a batch of {batch} samples "
            f"({num_envs} envs x {m.ppo.num_steps_per_env} steps): empty minibatches give NaN losses",
        )
