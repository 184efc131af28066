"""Filmstrips of failure traces, drawn from the trace's states without any OpenGL context.

The robot's poses come from MuJoCo's own kinematics (`mj_fwdPosition`: forward kinematics and collision
detection) on the trace's qpos; matplotlib draws each body as a segment to its parent, the feet as
markers (filled where MuJoCo finds a foot-ground contact) and the ground profile under the robot.
State t is the state entering policy step t: the recorded start state, then the qpos after each step
(the qpos after the failing step is not shown: the env had already reset it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np
from matplotlib.figure import Figure

from locoaudit.manifest import manifest_from_canonical
from locoaudit.report.figures import png
from locoaudit.robots.build import BuiltModel, build_model
from locoaudit.traces.format import read_trace

FRAMES = 8
HALF_WIDTH = 0.6  # m shown either side of the base


@dataclass(frozen=True)
class Poses:
    """Per state: body positions (T, B, 3), foot positions (T, F, 3) and foot contact flags (T, F)."""

    bodies: np.ndarray
    parents: np.ndarray  # (B,) index into bodies, -1 for the root
    feet: np.ndarray
    foot_parents: np.ndarray  # (F,) index into bodies of each foot's body
    contact: np.ndarray
    base: int  # index of the base body in bodies


def trace_states(built: BuiltModel, arrays: dict[str, np.ndarray]) -> np.ndarray:
    """(T, nq): the start qpos (from the recorded start state), then the qpos after each step but the last."""
    model, data = built.model, mujoco.MjData(built.model)
    mujoco.mj_setState(model, data, arrays["physics"], mujoco.mjtState.mjSTATE_INTEGRATION)
    return np.vstack([data.qpos.copy()[None], arrays["qpos"][:-1]])


def poses(built: BuiltModel, states: np.ndarray) -> Poses:
    """Robot body and foot positions and foot contacts for every state (kinematics + collision only)."""
    model, data = built.model, mujoco.MjData(built.model)
    robot = [b for b in range(1, model.nbody) if model.body_rootid[b] == model.body_rootid[built.base_body]]
    index = {b: i for i, b in enumerate(robot)}
    parents = np.array([index.get(int(model.body_parentid[b]), -1) for b in robot])
    feet = set(built.foot_geoms.tolist())
    bodies, foot_pos, contact = [], [], []
    for qpos in states:
        data.qpos[:] = qpos
        mujoco.mj_fwdPosition(model, data)
        bodies.append(data.xpos[robot].copy())
        foot_pos.append(data.geom_xpos[built.foot_geoms].copy())
        touching = {int(g) for c in data.contact[: data.ncon] if c.dist <= 0 for g in (c.geom1, c.geom2)}
        contact.append([g in touching & feet for g in built.foot_geoms.tolist()])
    foot_parents = np.array([index[int(model.geom_bodyid[g])] for g in built.foot_geoms])
    return Poses(
        np.array(bodies),
        parents,
        np.array(foot_pos),
        foot_parents,
        np.array(contact, dtype=bool),
        index[built.base_body],
    )


def frame_indices(steps: int, frames: int = FRAMES) -> list[int]:
    """Evenly spaced states ending with the one entering the failing step."""
    return sorted({round(x) for x in np.linspace(0, steps - 1, min(frames, steps))})


def _ground(built: BuiltModel, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.zeros_like(x) if built.grid is None else built.grid.height_at(x, y)


def _draw(ax, p: Poses, t: int, axes: tuple[int, int], built: BuiltModel, side: bool) -> None:
    a, b = axes
    pts, centre = p.bodies[t], p.bodies[t, p.base]
    for i, parent in enumerate(p.parents):
        if parent >= 0:
            ax.plot(pts[[parent, i], a], pts[[parent, i], b], color="0.25", lw=2)
    feet, touching = p.feet[t], p.contact[t]
    for f, parent in enumerate(p.foot_parents):
        ax.plot([pts[parent, a], feet[f, a]], [pts[parent, b], feet[f, b]], color="0.25", lw=2)
    ax.scatter(
        feet[~touching, a], feet[~touching, b], s=28, facecolors="white", edgecolors="tab:blue", zorder=3
    )
    ax.scatter(feet[touching, a], feet[touching, b], s=28, color="tab:orange", zorder=3)
    ax.scatter([centre[a]], [centre[b]], s=40, marker="s", color="0.1", zorder=3)
    if side:
        xs = np.linspace(centre[0] - HALF_WIDTH, centre[0] + HALF_WIDTH, 60)
        ax.fill_between(xs, _ground(built, xs, np.full_like(xs, centre[1])), -1, color="tan", alpha=0.5)
        ax.set_ylim(-0.1 + min(0.0, float(feet[:, 2].min())), 0.1 + max(0.6, float(pts[:, 2].max())))
    else:
        ax.plot(p.bodies[: t + 1, p.base, 0], p.bodies[: t + 1, p.base, 1], color="tab:green", lw=0.8)
        ax.set_ylim(centre[b] - HALF_WIDTH, centre[b] + HALF_WIDTH)
    ax.set_xlim(centre[a] - HALF_WIDTH, centre[a] + HALF_WIDTH)
    ax.set_aspect("equal")
    ax.tick_params(labelsize=6)


def filmstrip(path: Path, built_cache: dict[str, BuiltModel] | None = None) -> tuple[bytes, dict]:
    """PNG of a trace's filmstrip (side view above, top view below) and the trace's header."""
    header, arrays = read_trace(path)
    cache = {} if built_cache is None else built_cache
    key = header["eval_manifest_hash"]
    if key not in cache:
        cache[key] = build_model(manifest_from_canonical(header["eval_manifest"], str(path)))
    built = cache[key]
    p = poses(built, trace_states(built, arrays))
    shown = frame_indices(len(p.bodies))
    fig = Figure(figsize=(1.6 * len(shown) + 0.6, 4.2))  # fixed layout: constrained layout costs seconds here
    axes = fig.subplots(2, len(shown), squeeze=False)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.06, top=0.84, wspace=0.35, hspace=0.25)
    dt, last = float(header["dt"]), len(p.bodies) - 1
    for k, t in enumerate(shown):
        _draw(axes[0, k], p, t, (0, 2), built, side=True)
        _draw(axes[1, k], p, t, (0, 1), built, side=False)
        failing = t == last
        title = f"step {t} ({t * dt:.2f} s)" + (f"\nFAILS: {header['reason']}" if failing else "")
        axes[0, k].set_title(title, fontsize=7, color="red" if failing else "black")
        if failing:
            for ax in axes[:, k]:
                for spine in ax.spines.values():
                    spine.set(color="red", linewidth=2.5)
        if 0 <= int(header.get("push_step", -1)) <= t < int(header["push_step"]) + 5:
            axes[1, k].set_title("push", fontsize=7, color="tab:purple")
    axes[0, 0].set_ylabel("side (x-z) [m]", fontsize=7)
    axes[1, 0].set_ylabel("top (x-y) [m]", fontsize=7)
    fig.suptitle(
        f"{header['cell']}: {header['reason']} after {last + 1} steps  "
        "(feet: filled = in contact, hollow = in the air; square = base; green = base path)",
        fontsize=8,
    )
    return png(fig), header
