"""Training plots as PNG bytes (matplotlib's Agg canvas through `Figure`, no pyplot global state).

Every function takes `runs`: label -> metrics rows (one row per iteration, see train/rollout_stats.py), so a
lab draws its levels side by side on the same axes and a single run is a one-entry mapping.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from locoaudit.report.data import series

Rows = list[dict]
Runs = Mapping[str, Rows]
X_LABELS = {"iteration": "iteration", "wall_clock_s": "training wall clock [s]", "samples": "samples"}


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return buf.getvalue()


def _values(rows: Rows, path: str) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in series(rows, path)], dtype=float)


def _line(ax, runs: Runs, x: str, path: str, title: str, ylabel: str = "") -> None:
    for label, rows in runs.items():
        ax.plot(_values(rows, x), _values(rows, path), label=label, marker="." if len(rows) < 30 else None)
    if all(np.isnan(_values(rows, path)).all() for rows in runs.values()):
        ax.text(0.5, 0.5, "no value logged yet\n(no episode ended)", ha="center", transform=ax.transAxes)
    ax.set_title(title)
    ax.set_xlabel(X_LABELS.get(x, x))
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if len(runs) > 1:
        ax.legend(fontsize="small")


def learning_curves(runs: Runs, x: str = "iteration") -> bytes:
    """Episode return, velocity-tracking errors, fall fraction and env-steps/s against x."""
    fig = Figure(figsize=(11, 7), layout="constrained")
    axes = fig.subplots(2, 2)
    _line(axes[0, 0], runs, x, "mean_episode_return", "mean return of the episodes that ended")
    for label, rows in runs.items():
        xs = _values(rows, x)
        axes[0, 1].plot(xs, _values(rows, "tracking.lin_vel_error"), label=f"{label} lin vel [m/s]")
        axes[0, 1].plot(xs, _values(rows, "tracking.yaw_rate_error"), "--", label=f"{label} yaw [rad/s]")
    axes[0, 1].set_title("velocity-tracking error (per env-step)")
    axes[0, 1].set_xlabel(X_LABELS.get(x, x))
    axes[0, 1].grid(alpha=0.3)
    axes[0, 1].legend(fontsize="small")
    _line(axes[1, 0], runs, x, "fall_fraction", "fall fraction of the episodes that ended")
    _line(axes[1, 1], runs, x, "env_steps_per_s", "collection throughput", "env-steps/s")
    return png(fig)


def time_split(runs: Runs) -> bytes:
    """Collect and update seconds per iteration, stacked (one bar group per run: medians)."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax_line, ax_bar = fig.subplots(1, 2, width_ratios=[2, 1])
    labels = list(runs)
    collect = [float(np.nanmedian(_values(runs[k], "collect_s"))) for k in labels]
    update = [float(np.nanmedian(_values(runs[k], "update_s"))) for k in labels]
    for label, rows in runs.items():
        its = _values(rows, "iteration")
        ax_line.plot(its, _values(rows, "collect_s"), label=f"{label} collect")
        ax_line.plot(its, _values(rows, "update_s"), "--", label=f"{label} update")
    ax_line.set_title("seconds per iteration")
    ax_line.set_xlabel("iteration")
    ax_line.grid(alpha=0.3)
    ax_line.legend(fontsize="small")
    ax_bar.bar(labels, collect, label="collect")
    ax_bar.bar(labels, update, bottom=collect, label="update")
    ax_bar.set_title("median split per iteration [s]")
    ax_bar.legend(fontsize="small")
    return png(fig)


def _grid(n: int, height: float = 3.4) -> tuple[Figure, list]:
    fig = Figure(figsize=(11, height * n), layout="constrained")
    axes = fig.subplots(n, 1, squeeze=False)[:, 0]
    return fig, list(axes)


def reward_terms(runs: Runs, x: str = "iteration") -> bytes:
    """Per-term reward contribution per second of env time, one panel per run, shared y axis."""
    fig, axes = _grid(len(runs))
    for ax, (label, rows) in zip(axes, runs.items(), strict=True):
        terms = sorted({t for r in rows for t in (r.get("reward_terms") or {})})
        for term in terms:
            values = _values(rows, f"reward_terms.{term}.per_second")
            ax.plot(_values(rows, x), values, label=term, marker="." if len(rows) < 30 else None)
        ax.axhline(0, color="k", lw=0.5)
        ax.set_title(f"{label}: reward contribution per term [per second of env time]")
        ax.set_xlabel(X_LABELS.get(x, x))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="x-small", ncol=2, loc="center left", bbox_to_anchor=(1.0, 0.5))
    _share_y(axes)
    return png(fig)


def terminations(runs: Runs, x: str = "iteration") -> bytes:
    """Termination reasons as stacked fractions of the episodes that ended, one panel per run."""
    fig, axes = _grid(len(runs), 3.0)
    for ax, (label, rows) in zip(axes, runs.items(), strict=True):
        reasons = sorted({k for r in rows for k in (r.get("terminations") or {})})
        xs = _values(rows, x)
        if reasons:
            stack = [np.nan_to_num(_values(rows, f"terminations.{k}")) for k in reasons]
            ax.stackplot(xs, stack, labels=reasons, alpha=0.85)
            ax.legend(fontsize="x-small", loc="center left", bbox_to_anchor=(1.0, 0.5))
        else:
            ax.text(0.5, 0.5, "no episode ended during training", ha="center", transform=ax.transAxes)
        ax.set_ylim(0, 1)
        ax.set_title(f"{label}: termination reasons (fraction of episodes that ended)")
        ax.set_xlabel(X_LABELS.get(x, x))
    return png(fig)


def advantages(runs: Runs, x: str = "iteration") -> bytes:
    """Raw advantage mean with its p5-p95 band and std; explained variance of the value function."""
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    ax_adv, ax_ev = fig.subplots(1, 2)
    for label, rows in runs.items():
        xs = _values(rows, x)
        (line,) = ax_adv.plot(xs, _values(rows, "advantage.mean"), label=f"{label} mean")
        ax_adv.fill_between(
            xs,
            _values(rows, "advantage.p5"),
            _values(rows, "advantage.p95"),
            alpha=0.2,
            color=line.get_color(),
        )
        ax_adv.plot(xs, _values(rows, "advantage.std"), ":", color=line.get_color(), label=f"{label} std")
        ax_ev.plot(xs, _values(rows, "explained_variance"), label=label)
    ax_adv.set_title("advantages before normalisation (band: p5-p95)")
    ax_ev.set_title("explained variance of the value function")
    for ax in (ax_adv, ax_ev):
        ax.set_xlabel(X_LABELS.get(x, x))
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return png(fig)


def ppo_health(runs: Runs, x: str = "iteration") -> bytes:
    """PPO clip fraction and approximate KL per iteration."""
    fig = Figure(figsize=(11, 3.4), layout="constrained")
    ax_clip, ax_kl = fig.subplots(1, 2)
    _line(ax_clip, runs, x, "clip_fraction", "clip fraction")
    _line(ax_kl, runs, x, "approx_kl", "approximate KL")
    ax_kl.set_yscale("log")
    return png(fig)


def curriculum(runs: Runs, x: str = "iteration") -> bytes | None:
    """Mean terrain curriculum level, or None when no run has a curriculum."""
    if all(v is None for rows in runs.values() for v in series(rows, "terrain_level")):
        return None
    fig = Figure(figsize=(11, 3.2), layout="constrained")
    _line(fig.subplots(), runs, x, "terrain_level", "mean terrain curriculum level")
    return png(fig)


def _share_y(axes: list) -> None:
    lows, highs = zip(*(ax.get_ylim() for ax in axes), strict=True)
    for ax in axes:
        ax.set_ylim(min(lows), max(highs))
