"""Robot adapters: how to load a robot and which of its parts the task needs.

The registry is an explicit dict; adding a robot means adding an entry here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import mujoco

from locoaudit.errors import LocoauditError

LEGS = ("FR", "FL", "RR", "RL")
GO1_JOINTS = tuple(f"{leg}_{part}_joint" for leg in LEGS for part in ("hip", "thigh", "calf"))
GO1_STANCE = (0.0, 0.9, -1.8) * 4
MENAGERIE_ROOT = "MENAGERIE_ROOT"  # mujoco_menagerie loads robots from this folder instead of downloading


def use_offline_menagerie(checkout: Path) -> str | None:
    """Set MENAGERIE_ROOT to CHECKOUT/../shared/menagerie when it is unset and that folder exists.

    The one place that knows where a development checkout keeps its offline robots; the tests and
    the scripts under bench/ call it. Returns the MENAGERIE_ROOT in effect (None: download).
    """
    folder = checkout.resolve().parent / "shared" / "menagerie"
    if MENAGERIE_ROOT not in os.environ and folder.is_dir():
        os.environ[MENAGERIE_ROOT] = str(folder)
    return os.environ.get(MENAGERIE_ROOT)


@dataclass(frozen=True)
class RobotAdapter:
    """Names and defaults that map a robot model onto the locomotion task."""

    name: str
    load_spec: Callable[[], mujoco.MjSpec]
    base_body: str
    feet: tuple[str, ...]  # foot collision geoms, in the order observations and rewards use
    joints: tuple[str, ...]  # actuated joints in action order
    default_joint_pos: tuple[float, ...]
    spawn_height: float  # base height above the terrain at reset [m]
    source: str  # where the model comes from, for run records


def _builtin_spec() -> mujoco.MjSpec:
    xml = resources.files("locoaudit.robots").joinpath("quadruped.xml").read_text(encoding="utf-8")
    return mujoco.MjSpec.from_string(xml)


def _menagerie_spec(robot: str, entry: str) -> Callable[[], mujoco.MjSpec]:
    def load() -> mujoco.MjSpec:
        import mujoco_menagerie

        try:
            return mujoco_menagerie.get(robot).spec(entry)
        except mujoco_menagerie.MenagerieError as exc:
            raise LocoauditError(f"robot {robot!r}: {exc} (offline? set MENAGERIE_ROOT)") from None

    return load


ROBOTS: dict[str, RobotAdapter] = {
    "quadruped": RobotAdapter(
        name="quadruped",
        load_spec=_builtin_spec,
        base_body="trunk",
        feet=LEGS,
        joints=GO1_JOINTS,
        default_joint_pos=GO1_STANCE,
        spawn_height=0.30,
        source="locoaudit built-in quadruped.xml",
    ),
    "unitree_go1": RobotAdapter(
        name="unitree_go1",
        load_spec=_menagerie_spec("unitree_go1", "go1"),
        base_body="trunk",
        feet=LEGS,
        joints=GO1_JOINTS,
        default_joint_pos=GO1_STANCE,
        spawn_height=0.30,
        source="mujoco_menagerie unitree_go1/go1.xml",
    ),
}


def get_robot(name: str) -> RobotAdapter:
    """The adapter for a robot name; a clear error lists the known names."""
    if name not in ROBOTS:
        raise LocoauditError(f"unknown robot {name!r} (known: {', '.join(sorted(ROBOTS))})")
    return ROBOTS[name]
