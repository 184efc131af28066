"""Incentive audits: what the manifest's reward and terminations pay the reference behaviours.

Each behaviour of `behaviours.run_references` is summarised by its first episode per env: return per
second, undiscounted return (an episode still running at the end is extrapolated to the full length),
discounted value sum_t gamma^t r_t from the first step (time-outs and running episodes bootstrapped
with their mean step reward, as PPO bootstraps time-outs), length and how it ended. The competent
reference (perfect kinematic tracking with a trot) is close to the most walking can earn (optimistic:
its base is carried, so torque and base-motion penalties are lower than a real gait's), so thresholds
compare the others against it and err towards silence. Checks:
  degenerate_pays   standing, collapsing or falling at once earns >= the competent reference per
                    second, per episode or in discounted value (error: a policy maximising this
                    reward prefers it to walking); or >= CLOSE_SHARE of a positive competent value
                    (warning: walking buys less than 1/CLOSE_SHARE - 1 = 25% more, a gradient
                    too weak to climb out of the standing plateau, which is already the slowest
                    part of learning to walk here)
  not_discriminating  standing still earns >= STAND_TASK_WARN (warning) / STAND_TASK_ERROR (error) of
                    the track_* reward the competent reference earns on the same commands; shipped
                    kernels (std 0.5, commands up to 1 m/s) give ~0.45, a kernel too wide makes
                    tracking and standing pay alike
  failure_lives     a behaviour spends >= DWELL_S in one episode lying on the ground (base below
                    LYING_SHARE of the standing height: at 0.4 a Go1-class trunk, 0.11 m tall on legs
                    standing 0.29 m, has its belly within a few cm of the floor; 0.5 flagged a Go1 sitting
                    on a thigh at 0.12 m on rough terrain) or tipped over (tilt >= TIPPED rad) without
                    the episode ending (error): no gait passes through such a state for a second, so a
                    missing or too lax termination lets the policy live, and be paid, there
  outweighs_task    one penalty term under the competent reference costs more per second than all
                    its task (track_*) reward (error; >= OUTWEIGH_WARN of it: warning): walking
                    cannot pay, the policy can only learn to minimise that term; under random actions,
                    a penalty above all the competent task reward (warning): exploration is punished
                    harder than walking can ever be paid
  inert_term        a term non-finite under any behaviour (error), or zero, or one constant value,
                    under every behaviour (warning): it teaches nothing, or only pays for being alive
  policy_found      (runs) the trained policy's own rollout next to the references: info naming the
                    behaviour it found (walking, standing still, lying, tipped over, falling early);
                    error when it is not walking and earns >= the competent reference (per second,
                    per episode or discounted): "the policy found X, which the reward pays more than
                    walking"; warning when it is not walking and earns >= CLOSE_SHARE of it
A `references` info finding carries every behaviour's per-term return per second, episode length,
return and endings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from locoaudit.audit.behaviours import DEGENERATE, References, Trace
from locoaudit.findings import Finding

AUDIT = "incentives"
CLOSE_SHARE = 0.8
STAND_TASK_WARN, STAND_TASK_ERROR = 0.6, 0.8
LYING_SHARE = 0.4
TIPPED = 1.3  # [rad], about 75 degrees
DWELL_S = 1.0
OUTWEIGH_WARN = 0.5
WALKING_SHARE = 0.5  # a policy earning >= this share of the competent task reward is walking
STILL_SHARE = 0.25  # planar speed below this share of the commanded speed: standing still
EARLY_SHARE = 0.25  # first episodes failing within this share of the episode length: falling early
METRICS = ("per_second", "episode_return", "discounted")


def is_task(term: str) -> bool:
    """Task terms: velocity tracking (track_*)."""
    return term.startswith("track_")


@dataclass(frozen=True)
class Summary:
    """One behaviour's first episodes (means over its envs) and per-term return per second (all steps)."""

    name: str
    per_second: float
    episode_return: float
    discounted: float
    episode_s: float
    endings: dict[str, int]  # reason (or 'running') -> first episodes
    term_per_second: dict[str, float]
    task_per_second: float
    speed: float  # mean planar base speed [m/s]
    command_speed: float  # mean planar command speed [m/s]
    height: float  # median base height [m]
    tilt: float  # median tilt [rad]

    def value(self, metric: str) -> float:
        """One of METRICS."""
        return float(getattr(self, metric))

    def numbers(self) -> dict:
        """The finding numbers of this behaviour."""
        out = {m: self.value(m) for m in METRICS} | {"episode_s": self.episode_s, "endings": self.endings}
        return out | {"term_per_second": self.term_per_second}


def first_episodes(done: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n,) length in steps of each env's first episode and whether it ended. done: (T, n) bool."""
    ended = done.any(axis=0)
    length = np.where(ended, done.argmax(axis=0) + 1, done.shape[0])
    return length, ended


def discounted_value(
    reward: np.ndarray, length: np.ndarray, bootstrap: np.ndarray, gamma: float
) -> np.ndarray:
    """(n,) sum_{t<L} gamma^t r_t, + gamma^L mean(r) / (1 - gamma) where bootstrap; reward (T, n)."""
    t = np.arange(reward.shape[0])[:, None]
    inside = t < length[None, :]
    ret = (reward * inside * gamma**t).sum(axis=0)
    mean = (reward * inside).sum(axis=0) / np.maximum(length, 1)
    return ret + np.where(bootstrap, gamma**length * mean / (1.0 - gamma), 0.0)


def summarise(trace: Trace, gamma: float, max_steps: int) -> Summary:
    """A behaviour's first-episode statistics."""
    length, ended = first_episodes(trace.done)
    last = trace.reason[np.maximum(length - 1, 0), np.arange(len(length))]
    reasons = np.where(ended, last, "running")
    inside = np.arange(trace.done.shape[0])[:, None] < length[None, :]
    ret = np.nan_to_num((trace.reward * inside).sum(axis=0))
    full = np.where(ended, ret, ret * max_steps / length)
    value = discounted_value(np.nan_to_num(trace.reward), length, (reasons == "time_out") | ~ended, gamma)
    terms = {k: float(np.nanmean(v) / trace.dt) for k, v in trace.contributions.items()}
    return Summary(
        name=trace.name,
        per_second=float(np.mean(ret / (length * trace.dt))),
        episode_return=float(full.mean()),
        discounted=float(value.mean()),
        episode_s=float(length.mean() * trace.dt),
        endings={str(r): int(n) for r, n in zip(*np.unique(reasons, return_counts=True), strict=True)},
        term_per_second=terms,
        task_per_second=sum(v for k, v in terms.items() if is_task(k)),
        speed=float(trace.speed.mean()),
        command_speed=float(trace.command_speed.mean()),
        height=float(np.median(trace.base_height)),
        tilt=float(np.median(trace.tilt)),
    )


def summaries(refs: References) -> dict[str, Summary]:
    """Summary of every behaviour, by name."""
    return {k: summarise(t, refs.gamma, refs.max_episode_steps) for k, t in refs.traces.items()}


def references_info(refs: References, sums: dict[str, Summary]) -> Finding:
    """The reference table as one info finding."""
    parts = [f"{k} {s.per_second:.3g}/s over {s.episode_s:.3g} s ({_endings(s)})" for k, s in sums.items()]
    numbers = {k: s.numbers() for k, s in sums.items()}
    numbers |= {"gamma": refs.gamma, "stand_height": refs.stand_height}
    return Finding(AUDIT, "references", "info", "returns: " + "; ".join(parts), numbers)


def _endings(s: Summary) -> str:
    """'3 time_out, 1 base_contact'."""
    return ", ".join(f"{n} {r}" for r, n in s.endings.items())


def _compare(s: Summary, best: Summary) -> tuple[str | None, list[str], dict]:
    """(severity or None, metrics at issue, numbers) of a behaviour earning about as much as `best`."""
    above = [m for m in METRICS if s.value(m) >= best.value(m)]
    close = [m for m in METRICS if best.value(m) > 0 and s.value(m) >= CLOSE_SHARE * best.value(m)]
    numbers = {m: s.value(m) for m in METRICS} | {f"competent_{m}": best.value(m) for m in METRICS}
    if above:
        return "error", above, numbers
    return ("warning", close, numbers) if close else (None, [], numbers)


def _describe(metrics: list[str], s: Summary, best: Summary, horizon: float) -> str:
    """'x vs y per second; ...' for the metrics at issue."""
    words = {"per_second": "per second", "episode_return": "per episode", "discounted": "discounted"}
    parts = []
    for m in metrics:
        extra = f" over the effective horizon {horizon:.3g} s" if m == "discounted" else ""
        parts.append(f"{s.value(m):.3g} vs {best.value(m):.3g} {words[m]}{extra}")
    return "; ".join(parts)


def degenerate_pays(refs: References, sums: dict[str, Summary]) -> list[Finding]:
    """Standing, collapsing or falling at once earning about as much as (or more than) walking."""
    best, horizon = sums["competent"], _dt(refs) / (1.0 - refs.gamma)
    out = []
    for name in DEGENERATE:
        severity, metrics, numbers = _compare(sums[name], best)
        if severity is None:
            continue
        verb = "pays more than" if severity == "error" else "pays close to"
        msg = (
            f"{name} ({_endings(sums[name])}) {verb} walking: {_describe(metrics, sums[name], best, horizon)}"
        )
        numbers |= {"behaviour": name, "metrics": metrics, "horizon_s": horizon, "close_share": CLOSE_SHARE}
        out.append(Finding(AUDIT, "degenerate_pays", severity, msg, numbers))
    return out


def not_discriminating(sums: dict[str, Summary]) -> list[Finding]:
    """Standing still earning most of the task reward that tracking the command earns."""
    stand, best = sums["stand"].task_per_second, sums["competent"].task_per_second
    numbers = {"stand_task_per_second": stand, "competent_task_per_second": best}
    if best <= 0:
        msg = f"the task terms (track_*) pay the competent reference {best:.3g}/s: nothing rewards walking"
        return [Finding(AUDIT, "not_discriminating", "error", msg, numbers)]
    share = stand / best
    severity = "error" if share >= STAND_TASK_ERROR else "warning" if share >= STAND_TASK_WARN else None
    if severity is None:
        return []
    msg = f"standing still earns {share:.0%} of the task reward that tracking the command earns"
    msg += f" ({stand:.3g}/s vs {best:.3g}/s)"
    numbers |= {"share": share, "warn": STAND_TASK_WARN, "error": STAND_TASK_ERROR}
    return [Finding(AUDIT, "not_discriminating", severity, msg, numbers)]


def longest_dwell(state: np.ndarray, done: np.ndarray) -> np.ndarray:
    """(n,) longest run of consecutive steps in `state` within one episode; state, done (T, n) bool."""
    run = np.zeros(state.shape[1], dtype=np.int64)
    best = np.zeros_like(run)
    for t in range(state.shape[0]):
        run = np.where(state[t] & ~done[t], run + 1, 0)
        best = np.maximum(best, run)
    return best


def failure_lives(refs: References, names: Iterable[str]) -> list[Finding]:
    """Lying on the ground or tipped over for DWELL_S without the episode ending."""
    low = LYING_SHARE * refs.stand_height
    out = []
    for name in names:
        trace = refs.traces[name]
        states = {"lying on the ground": trace.base_height < low, "tipped over": trace.tilt >= TIPPED}
        for label, state in states.items():
            dwell = longest_dwell(state, trace.done) * trace.dt
            if dwell.max() < DWELL_S:
                continue
            msg = f"{name}: a robot {label} keeps living for {dwell.max():.3g} s without the episode ending"
            numbers = {"behaviour": name, "state": label, "longest_s": dwell.max(), "dwell_s": DWELL_S}
            numbers |= {"envs": int((dwell >= DWELL_S).sum()), "of_envs": len(dwell), "lying_below_m": low}
            numbers |= {
                "tipped_rad": TIPPED,
                "median_height_in_state": float(np.median(trace.base_height[state])),
            }
            out.append(Finding(AUDIT, "failure_lives", "error", msg, numbers))
    return out


def outweighs_task(sums: dict[str, Summary]) -> list[Finding]:
    """A penalty outweighing all the task reward walking earns, under the competent or random actions."""
    best = sums["competent"]
    task = best.task_per_second
    if task <= 0:
        return []  # not_discriminating reports it
    out = []
    for who, warn, error in (("competent", OUTWEIGH_WARN, 1.0), ("random", 1.0, None)):
        for term, value in sums[who].term_per_second.items():
            ratio = -value / task
            if is_task(term) or ratio < warn:
                continue
            severity = "error" if error is not None and ratio >= error else "warning"
            msg = f"{term} costs {-value:.3g}/s under {who} actions, {ratio:.0%} of all the task reward"
            msg += f" walking earns ({task:.3g}/s)"
            numbers = {
                "term": term,
                "behaviour": who,
                "per_second": value,
                "task_per_second": task,
                "ratio": ratio,
            }
            out.append(Finding(AUDIT, "outweighs_task", severity, msg, numbers))
    return out


def inert_terms(refs: References) -> list[Finding]:
    """Terms non-finite under some behaviour, or zero or constant under all of them."""
    out = []
    for term in next(iter(refs.traces.values())).contributions:
        values = np.concatenate([t.contributions[term].ravel() for t in refs.traces.values()])
        bad = int((~np.isfinite(values)).sum())
        finite = values[np.isfinite(values)]
        if bad:
            msg = f"{term} is non-finite in {bad} of {len(values)} steps of the reference behaviours"
            out.append(Finding(AUDIT, "inert_term", "error", msg, {"term": term, "non_finite": bad}))
        elif np.all(finite == 0):
            msg = f"{term} is zero in every step of every reference behaviour (teaches nothing)"
            out.append(Finding(AUDIT, "inert_term", "warning", msg, {"term": term, "steps": len(values)}))
        elif np.ptp(finite) <= 1e-9 * np.abs(finite).max():
            msg = f"{term} is {finite[0]:.4g} in every step of every reference behaviour (a constant)"
            out.append(Finding(AUDIT, "inert_term", "warning", msg, {"term": term, "value": finite[0]}))
    return out


def label(s: Summary, best: Summary, refs: References) -> str:
    """What a behaviour looks like: falling early, lying, tipped over, walking, standing still, or else."""
    failures = sum(n for r, n in s.endings.items() if r not in ("time_out", "running"))
    early = s.episode_s < EARLY_SHARE * refs.max_episode_steps * _dt(refs)
    if failures > sum(s.endings.values()) / 2 and early:
        return "falling early"
    if s.height < LYING_SHARE * refs.stand_height:
        return "lying on the ground"
    if s.tilt >= TIPPED:
        return "tipped over"
    if best.task_per_second > 0 and s.task_per_second >= WALKING_SHARE * best.task_per_second:
        return "walking"
    if s.speed < STILL_SHARE * s.command_speed:
        return "standing still"
    return "moving without tracking the command"


def _dt(refs: References) -> float:
    """The policy step [s]."""
    return refs.traces["competent"].dt


def policy_found(refs: References, sums: dict[str, Summary]) -> list[Finding]:
    """Name what the trained policy does, and flag it when the reward pays it more than walking."""
    s, best = sums["policy"], sums["competent"]
    found = label(s, best, refs)
    severity, metrics, numbers = _compare(s, best)
    numbers |= {
        "behaviour": found,
        "task_per_second": s.task_per_second,
        "competent_task": best.task_per_second,
    }
    numbers |= {"endings": s.endings, "episode_s": s.episode_s}
    horizon = _dt(refs) / (1.0 - refs.gamma)
    out = [
        Finding(
            AUDIT,
            "policy_behaviour",
            "info",
            f"the policy's rollout looks like {found} ({_endings(s)})",
            numbers,
        )
    ]
    if found != "walking" and severity is not None:
        verb = "more than" if severity == "error" else "close to what"
        msg = f"the policy found {found}, which the reward pays {verb} walking: "
        msg += _describe(metrics, s, best, horizon)
        out.append(Finding(AUDIT, "policy_found", severity, msg, numbers | {"metrics": metrics}))
    return out


def audit_references(refs: References) -> list[Finding]:
    """Every incentive check on a set of reference rollouts (with the policy's when it ran)."""
    sums = summaries(refs)
    lives = ("collapse", "fall", "random") + (("policy",) if "policy" in refs.traces else ())
    return [
        references_info(refs, sums),
        *degenerate_pays(refs, sums),
        *not_discriminating(sums),
        *failure_lives(refs, lives),
        *outweighs_task(sums),
        *inert_terms(refs),
        *(policy_found(refs, sums) if "policy" in refs.traces else []),
    ]
