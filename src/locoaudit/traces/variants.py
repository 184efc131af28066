"""Model variants for `locoaudit reproduce`: per-env physical parameters, their prior and how to apply them.

Parameters (one value per variant):
  friction        foot friction coefficient
  payload         mass added to the base [kg]
  com_x, com_y, com_z   shift of the base centre of mass [m]
  motor_strength  scale of PD gains (kp and kd together, as in training)
  kp, kd          extra scales of the stiffness and damping gains
  delay           actuator delay [physics substeps], at most one policy step
  damping         scale of passive joint damping
The prior of each is uniform over the manifest's randomisation range (a point where the manifest
fixes it); `--range NAME=LO:HI` replaces a range and `--grid NAME=V1,V2,...` or `NAME=LO:HI:N`
makes a parameter a grid: variant i takes the (i mod G)-th point of the product of all grids.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from locoaudit.errors import LocoauditError
from locoaudit.manifest import Manifest

PARAMS = ("friction", "payload", "com_x", "com_y", "com_z", "motor_strength", "kp", "kd", "delay", "damping")
INTEGER = ("delay",)


@dataclass(frozen=True)
class Prior:
    """Per parameter: a uniform range (lo, hi) or a tuple of grid points."""

    ranges: dict[str, tuple[float, float]]
    grids: dict[str, tuple[float, ...]]

    def describe(self, name: str) -> str:
        if name in self.grids:
            return "grid " + ",".join(f"{v:g}" for v in self.grids[name])
        lo, hi = (v + 0.0 for v in self.ranges[name])  # + 0.0: -0.0 prints as 0
        return f"{lo:g}" if lo == hi else f"U[{lo:g}, {hi:g}]"


def manifest_prior(m: Manifest) -> dict[str, tuple[float, float]]:
    """The manifest's randomisation ranges, per variant parameter."""
    r = m.randomization
    com = r.base_com_offset
    return {
        "friction": tuple(r.friction),
        "payload": tuple(r.added_base_mass),
        "com_x": (-com[0], com[0]),
        "com_y": (-com[1], com[1]),
        "com_z": (-com[2], com[2]),
        "motor_strength": tuple(r.motor_strength),
        "kp": (1.0, 1.0),
        "kd": (1.0, 1.0),
        "delay": (float(r.actuator_delay[0]), float(r.actuator_delay[1])),
        "damping": tuple(r.joint_damping),
    }


def parse_prior(m: Manifest, ranges: list[str], grids: list[str]) -> Prior:
    """The manifest prior with command-line --range and --grid entries applied."""
    out = manifest_prior(m)
    grid_points: dict[str, tuple[float, ...]] = {}
    for text in ranges:
        name, values = _split(text, "--range")
        parts = _numbers(values, ":", text, "--range")
        if len(parts) != 2 or parts[0] > parts[1]:
            raise LocoauditError(f"--range {text}: expected NAME=LO:HI with LO <= HI")
        out[name] = (parts[0], parts[1])
    for text in grids:
        name, values = _split(text, "--grid")
        if ":" in values:
            parts = _numbers(values, ":", text, "--grid")
            if len(parts) != 3 or parts[2] < 1 or parts[2] != int(parts[2]):
                raise LocoauditError(f"--grid {text}: expected NAME=LO:HI:N or NAME=V1,V2,...")
            points = tuple(np.linspace(parts[0], parts[1], int(parts[2])).tolist())
        else:
            points = tuple(_numbers(values, ",", text, "--grid"))
        if name in INTEGER and any(p != round(p) or p < 0 for p in points):
            raise LocoauditError(f"--grid {text}: {name} takes whole numbers >= 0")
        grid_points[name] = points
    return Prior(out, grid_points)


def _split(text: str, flag: str) -> tuple[str, str]:
    name, sep, values = text.partition("=")
    if not sep or name not in PARAMS:
        raise LocoauditError(f"{flag} {text}: expected NAME=... with NAME one of {', '.join(PARAMS)}")
    return name, values


def _numbers(values: str, sep: str, text: str, flag: str) -> list[float]:
    try:
        return [float(v) for v in values.split(sep)]
    except ValueError:
        raise LocoauditError(f"{flag} {text}: not a number in {values!r}") from None


def draw(prior: Prior, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """(n,) values per parameter: grid points cycled over the product of grids, the rest drawn uniformly."""
    out: dict[str, np.ndarray] = {}
    names = list(prior.grids)
    if names:
        product = np.array(list(itertools.product(*(prior.grids[k] for k in names))))
        rows = product[np.arange(n) % len(product)]
        out = {k: rows[:, i].copy() for i, k in enumerate(names)}
    for name in PARAMS:
        if name in out:
            continue
        lo, hi = prior.ranges[name]
        if name in INTEGER:
            out[name] = rng.integers(int(lo), int(hi) + 1, size=n).astype(np.float64)
        else:
            out[name] = rng.uniform(lo, hi, size=n)
    return out


def apply(env, ids: np.ndarray, values: dict[str, np.ndarray]) -> None:
    """Write variant values into envs `ids` of a LocoEnv (model fields, critic friction, delay)."""
    from locoaudit.task.randomization import nominal_params

    built, n = env.built, len(ids)
    out = {k: np.broadcast_to(v, (n, *v.shape)).copy() for k, v in nominal_params(built).items()}
    out["geom_friction"][:, built.foot_geoms, 0] = values["friction"][:, None]
    out["body_mass"][:, built.base_body] += values["payload"]
    out["body_ipos"][:, built.base_body] += np.stack([values[k] for k in ("com_x", "com_y", "com_z")], axis=1)
    kp = (values["motor_strength"] * values["kp"])[:, None]
    kd = (values["motor_strength"] * values["kd"])[:, None]
    out["actuator_gainprm"][:, :, 0] *= kp
    out["actuator_biasprm"][:, :, 1] *= kp
    out["actuator_biasprm"][:, :, 2] *= kd
    out["dof_damping"] *= values["damping"][:, None]
    env.backend.set_params(ids, out)
    env.state.friction[ids] = values["friction"]
    env.state.delay[ids] = np.minimum(np.round(values["delay"]).astype(np.int64), env.manifest.sim.decimation)
