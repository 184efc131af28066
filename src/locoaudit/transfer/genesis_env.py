"""Task environments whose physics is Genesis: the same manifest, model and task code, another engine."""

from __future__ import annotations

from locoaudit.errors import LocoauditError
from locoaudit.manifest import Manifest
from locoaudit.robots.build import GROUND, BuiltModel, build_spec
from locoaudit.sim.genesis_cpu import GenesisBackend, contact_slots, genesis_version, robot_mjcf
from locoaudit.task.env import LocoEnv


def engine_name() -> str:
    """The simulator tag of transfer evaluations, e.g. 'genesis-1.4.5'."""
    return f"genesis-{genesis_version()}"


def unsupported(manifest: Manifest) -> str | None:
    """Why Genesis cannot run this evaluation manifest here, or None."""
    if manifest.terrain.type != "plane":
        return "heightfield terrain is not mapped to Genesis yet (planes only)"
    if manifest.robot.name != "quadruped":
        return f"robot {manifest.robot.name!r}: only the built-in quadruped's MJCF is loaded into Genesis yet"
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
        return GenesisBackend(built.model, xml, manifest.sim, n, contact_slots(built.model))

    return LocoEnv(manifest, num_envs, seed, threads=1, backend=make)
