"""The evaluation record: one panel run on one checkpoint, written by `locoaudit eval` and read by the ledger.

File form (runs/<run_id>/evaluations/*.json): run_id, panel, panel_hash, manifest_hash, seed, kind
(`heldout`: the training simulator; `transfer`: a second simulator named by `simulator`;
`solver_sensitivity`: the same MuJoCo with other solver settings, also read from older files that
called it `transfer`), held_out
(false when the panel overlaps the training manifest), checkpoint_iteration, created, cells [{name,
episodes, metrics}], summary (all cells pooled), traces, env_steps_per_s and panel_spec (the panel as
hashed; files written before it existed lack it and are judged with the defaults). A metrics object
maps known metric names (evaluate.metrics.DIRECTIONS) to {"value": v, "ci": [lo, hi] | null, "n": n}
and `failure_reasons` to counts. Reading refuses, naming the file and key path: non-finite numbers,
lo > hi or a value outside its interval, negative counts, unknown metric names, and a panel_spec whose
sha256 is not panel_hash. Unknown top-level keys are kept, so a record writes back what it read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.evaluate.metrics import COUNTS, DIRECTIONS
from locoaudit.evaluate.panel import DEFAULT_MIN_EPISODES, Floor, check_floor, spec_hash
from locoaudit.manifest.validate import Context, build

KINDS = ("heldout", "transfer", "solver_sensitivity")
# Files written before the rename called perturbed-solver MuJoCo a transfer; it is not a second simulator.
SOLVER_SENSITIVITY_SIMULATOR = "mujoco_cpu_solver_perturbed"
SLACK = 1e-9  # relative: a mean of identical values may differ from them in the last bit
FIELDS = (
    "run_id",
    "panel",
    "panel_hash",
    "manifest_hash",
    "seed",
    "kind",
    "simulator",
    "held_out",
    "checkpoint_iteration",
    "created",
    "cells",
    "summary",
    "traces",
    "env_steps_per_s",
    "panel_spec",
)


@dataclass(frozen=True)
class Estimate:
    """A point estimate, its 95% interval and sample count; parts may be None (e.g. no falls to time)."""

    value: float | None
    lo: float | None
    hi: float | None
    n: int | None = None  # absent from files written before counts were recorded

    def to_json(self) -> dict[str, Any]:
        ci = None if self.lo is None or self.hi is None else [self.lo, self.hi]
        return {"value": self.value, "ci": ci} | ({} if self.n is None else {"n": self.n})


MISSING = Estimate(None, None, None)


@dataclass(frozen=True)
class CellResult:
    """The results of one panel cell (e.g. push_1.0): episodes run, metric estimates, failure counts."""

    name: str
    episodes: int | None
    metrics: Mapping[str, Estimate]
    failure_reasons: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "episodes": self.episodes, "metrics": metrics_json(self)}


@dataclass(frozen=True)
class Criteria:
    """What the gate asks of this panel's evaluations (from panel_spec, else the defaults)."""

    min_episodes: int = DEFAULT_MIN_EPISODES
    floor: Floor = field(default_factory=Floor)


@dataclass(frozen=True)
class Evaluation:
    """One evaluation file, typed."""

    run_id: str
    panel: str
    panel_hash: str
    seed: int
    kind: str
    simulator: str
    held_out: bool
    checkpoint_iteration: int | None
    created: str
    cells: tuple[CellResult, ...]
    summary: Mapping[str, Estimate]
    failure_reasons: Mapping[str, int] = field(default_factory=dict)
    manifest_hash: str | None = None
    traces: tuple[str, ...] | None = None  # failure traces (paths under the run directory)
    env_steps_per_s: float | None = None
    panel_spec: Mapping[str, Any] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # unknown keys, written back as read

    @property
    def short_hash(self) -> str:
        return self.panel_hash[:12]

    @property
    def criteria(self) -> Criteria:
        if self.panel_spec is None:
            return Criteria()
        return Criteria(self.panel_spec["min_episodes"], self.floor)

    @property
    def floor(self) -> Floor:
        table = dict((self.panel_spec or {}).get("floor") or {})
        return build(Floor, table, "panel_spec.floor", Context(f"evaluation of {self.run_id}", {}, {}))

    def cell(self, name: str) -> CellResult | None:
        return next((c for c in self.cells if c.name == name), None)

    def to_json(self) -> dict[str, Any]:
        """The file form; optional keys only when set, unknown keys as read."""
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "panel": self.panel,
            "panel_hash": self.panel_hash,
            "manifest_hash": self.manifest_hash,
            "seed": self.seed,
            "kind": self.kind,
            "simulator": self.simulator,
            "held_out": self.held_out,
            "checkpoint_iteration": self.checkpoint_iteration,
            "created": self.created,
            "cells": [c.to_json() for c in self.cells],
            "summary": metrics_json(self),
            "traces": None if self.traces is None else list(self.traces),
            "env_steps_per_s": self.env_steps_per_s,
        }
        for key in ("manifest_hash", "traces"):
            if out[key] is None:
                del out[key]
        if self.panel_spec is not None:
            out["panel_spec"] = dict(self.panel_spec)
        return out | dict(self.extra)


def metrics_json(owner: CellResult | Evaluation) -> dict[str, Any]:
    estimates = owner.metrics if isinstance(owner, CellResult) else owner.summary
    out: dict[str, Any] = {name: est.to_json() for name, est in estimates.items()}
    return out | ({"failure_reasons": dict(owner.failure_reasons)} if owner.failure_reasons else {})


def _bad(where: str, what: str) -> LocoauditError:
    return LocoauditError(f"{where}: {what}")


def _number(x: Any, where: str) -> float | None:
    """A finite number or None."""
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _bad(where, f"expected a number or null, got {x!r}")
    if not math.isfinite(x):
        raise _bad(where, f"not a finite number ({x})")
    return float(x)


def _count(x: Any, where: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or x < 0:
        raise _bad(where, f"expected a count (an integer >= 0), got {x!r}")
    return x


def parse_estimate(obj: Any, where: str) -> Estimate:
    """{"value": v, "ci": [lo, hi] | null, "n": n} -> Estimate; lo <= value <= hi, all finite, n >= 0."""
    if not isinstance(obj, dict) or "value" not in obj:
        raise _bad(where, "expected {'value': ..., 'ci': [lo, hi]}")
    ci = obj.get("ci")
    if ci is not None and (not isinstance(ci, list) or len(ci) != 2):
        raise _bad(f"{where}.ci", "expected [lo, hi] or null")
    value = _number(obj["value"], f"{where}.value")
    lo, hi = (None, None) if ci is None else (_number(ci[0], f"{where}.ci"), _number(ci[1], f"{where}.ci"))
    n = None if obj.get("n") is None else _count(obj["n"], f"{where}.n")
    if lo is not None and hi is not None:
        slack = SLACK * max(1.0, abs(lo), abs(hi))
        if lo > hi:
            raise _bad(f"{where}.ci", f"inverted interval [{lo:g}, {hi:g}]")
        if value is None or not lo - slack <= value <= hi + slack:
            raise _bad(f"{where}.value", f"{value} lies outside its interval [{lo:g}, {hi:g}]")
    return Estimate(value, lo, hi, n)


def parse_metrics(obj: Any, where: str) -> tuple[dict[str, Estimate], dict[str, int]]:
    """A metrics object -> (estimates by known metric name, failure_reasons counts)."""
    if not isinstance(obj, dict):
        raise _bad(where, "expected an object of metrics")
    estimates, counts = {}, {}
    for name, est in obj.items():
        if name in COUNTS:
            if not isinstance(est, dict):
                raise _bad(f"{where}.{name}", "expected an object of counts")
            counts = {str(k): _count(v, f"{where}.{name}.{k}") for k, v in est.items()}
        elif name in DIRECTIONS:
            estimates[name] = parse_estimate(est, f"{where}.{name}")
        else:
            raise _bad(f"{where}.{name}", f"unknown metric (known: {', '.join(sorted(DIRECTIONS))})")
    return estimates, counts


def _require(obj: dict, key: str, types: type | tuple[type, ...], source: str) -> Any:
    if key not in obj:
        raise _bad(source, f"missing key '{key}'")
    if not isinstance(obj[key], types) or isinstance(obj[key], bool):
        raise _bad(f"{source}: {key}", f"wrong type ({type(obj[key]).__name__})")
    return obj[key]


def _cell(obj: Any, where: str) -> CellResult:
    if not isinstance(obj, dict):
        raise _bad(where, "expected an object")
    episodes = obj.get("episodes")
    metrics, counts = parse_metrics(obj.get("metrics"), f"{where}.metrics")
    name = _require(obj, "name", str, where)
    return CellResult(
        name, None if episodes is None else _count(episodes, f"{where}.episodes"), metrics, counts
    )


def _panel_spec(obj: dict, source: str) -> Mapping[str, Any] | None:
    """The embedded panel, checked against panel_hash, with a valid min_episodes and floor."""
    spec = obj.get("panel_spec")
    if spec is None:
        return None
    if not isinstance(spec, dict):
        raise _bad(f"{source}: panel_spec", "expected the panel as an object")
    if spec_hash(spec) != obj["panel_hash"]:
        raise _bad(f"{source}: panel_spec", f"sha256 {spec_hash(spec)[:12]} is not panel_hash")
    min_episodes = spec.get("min_episodes")
    if isinstance(min_episodes, bool) or not isinstance(min_episodes, int) or min_episodes < 1:
        raise _bad(f"{source}: panel_spec.min_episodes", f"expected an integer >= 1, got {min_episodes!r}")
    floor = build(Floor, spec.get("floor") or {}, "panel_spec.floor", Context(source, {}, {}))
    cells = [c.get("name") for c in spec.get("cells") or () if isinstance(c, dict)]
    check_floor(floor, cells, f"{source}: panel_spec")
    return spec


def parse_evaluation(obj: Any, source: str) -> Evaluation:
    """Validate one evaluation JSON object; errors name the source and the key path."""
    if not isinstance(obj, dict):
        raise _bad(source, "an evaluation must be a JSON object")
    kind = _require(obj, "kind", str, source)
    if kind == "transfer" and obj.get("simulator") == SOLVER_SENSITIVITY_SIMULATOR:
        kind = "solver_sensitivity"
    if kind not in KINDS:
        raise _bad(f"{source}: kind", f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if not isinstance(obj.get("held_out"), bool):
        raise _bad(f"{source}: held_out", "must be true or false")
    cells = tuple(
        _cell(c, f"{source}: cells[{i}]") for i, c in enumerate(_require(obj, "cells", list, source))
    )
    summary, counts = parse_metrics(_require(obj, "summary", dict, source), f"{source}: summary")
    iteration, rate = obj.get("checkpoint_iteration"), obj.get("env_steps_per_s")
    return Evaluation(
        run_id=_require(obj, "run_id", str, source),
        panel=_require(obj, "panel", str, source),
        panel_hash=_require(obj, "panel_hash", str, source),
        seed=_require(obj, "seed", int, source),
        kind=kind,
        simulator=_require(obj, "simulator", str, source),
        held_out=obj["held_out"],
        checkpoint_iteration=iteration if isinstance(iteration, int) else None,
        created=str(obj.get("created") or ""),
        cells=cells,
        summary=summary,
        failure_reasons=counts,
        manifest_hash=obj.get("manifest_hash"),
        traces=None if obj.get("traces") is None else tuple(str(t) for t in obj["traces"]),
        env_steps_per_s=_number(rate, f"{source}: env_steps_per_s"),
        panel_spec=_panel_spec(obj, source),
        extra={k: v for k, v in obj.items() if k not in FIELDS},
    )
