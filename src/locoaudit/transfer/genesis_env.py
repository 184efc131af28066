"""Task environments whose physics is Genesis: the same manifest, model and task code, another engine."""

from __future__ import annotations

from locoaudit.errors import LocoauditError
from locoaudit.manifest import Manifest
from locoaudit.robots.build import GROUND, BuiltModel, build_spec
from locoaudit.sim.genesis_cpu import GenesisBackend, genesis_version
from locoaudit.sim.genesis_maps import contact_slots, robot_mjcf
from locoaudit.task.env import LocoEnv


def engine_name() -> str:
    """The simulator tag of transfer evaluations, e.g. 'genesis-1.4.5'."""
    return f"genesis-{genesis_version()}"


# Robots whose MJCF Genesis loads with model and state read-backs equal to MuJoCo's (tested):
# the built-in quadruped and Menagerie's Go1 (its unnamed free joint, its meshes beside its XML).
VERIFIED_ROBOTS = ("quadruped", "unitree_go1")


def unsupported(manifest: Manifest) -> str | None:
    """Why Genesis cannot run this evaluation manifest here, or None.

    Planes and our heightfield grids both load (genesis_terrain.py); a robot not verified above is
    skipped rather than trusted unread."""
    if manifest.robot.name not in VERIFIED_ROBOTS:
        verified = ", ".join(VERIFIED_ROBOTS)
        return f"robot {manifest.robot.name!r} is not verified in Genesis (verified: {verified})"
    return None


def genesis_env(manifest: Manifest, num_envs: int, seed: int) -> LocoEnv:
    """A LocoEnv of `manifest` stepped by Genesis on the CPU."""
    reason = unsupported(manifest)
    if reason:
        raise LocoauditError(f"second simulator: {reason}")
    genesis_version()

    def make(built: BuiltModel, n: int) -> GenesisBackend:
        spec = build_spec(manifest)[0]
        xml = robot_mjcf(spec, GROUND)
        return GenesisBackend(built.model, xml, manifest.sim, n, contact_slots(built.model), GROUND)

    return LocoEnv(manifest, num_envs, seed, threads=1, backend=make)
