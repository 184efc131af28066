"""Turn parsed TOML tables into the frozen manifest dataclasses, refusing anything unexpected."""

from __future__ import annotations

import dataclasses
import inspect
import math
import typing
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from locoaudit.errors import ManifestError
from locoaudit.safety import name_problem
from locoaudit.terrain.kinds import KINDS

TermRegistry = Mapping[str, Callable]
POSITIVE_PARAMS = ("std",)  # term parameters that divide: a width must be > 0


class Context:
    """Where a value came from (file) plus the registries that term tables are checked against."""

    def __init__(self, source: str, rewards: TermRegistry, terminations: TermRegistry):
        self.source, self.rewards, self.terminations = source, rewards, terminations

    def fail(self, key: str, message: str) -> ManifestError:
        return ManifestError(self.source, key, message)


def build(cls: type, table: Any, key: str, ctx: Context):
    """Build dataclass `cls` from a TOML table; `key` is the dotted path used in error messages."""
    if not isinstance(table, Mapping):
        raise ctx.fail(key, f"expected a table, got {type(table).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        path = f"{key}.{unknown[0]}" if key else unknown[0]
        raise ctx.fail(path, f"unknown key (known: {', '.join(sorted(fields))})")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in table.items():
        path = f"{key}.{name}" if key else name
        values[name] = convert(hints[name], fields[name], value, path, ctx)
    return cls(**values)


def convert(hint: Any, fld: dataclasses.Field, value: Any, path: str, ctx: Context):
    """Convert one value to the field's type, checking bounds and choices."""
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path, ctx)
    if hint is MappingProxyType:
        return _mapping(fld.name, value, path, ctx)
    if typing.get_origin(hint) is tuple:
        return _tuple(typing.get_args(hint), fld, value, path, ctx)
    return _scalar(hint, fld, value, path, ctx)


def _scalar(hint: Any, fld: dataclasses.Field, value: Any, path: str, ctx: Context):
    meta = fld.metadata
    if hint is bool:
        if not isinstance(value, bool):
            raise ctx.fail(path, f"expected true or false, got {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ctx.fail(path, f"expected a string, got {value!r}")
        if meta.get("choices") and value not in meta["choices"]:
            raise ctx.fail(path, f"{value!r} is not one of {', '.join(map(repr, meta['choices']))}")
        problem = name_problem(value) if meta.get("path_part") else None
        if problem:
            raise ctx.fail(path, problem)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.fail(path, f"expected an integer, got {value!r}")
    elif hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ctx.fail(path, f"expected a number, got {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ctx.fail(path, f"expected a finite number, got {value!r}")
    else:  # pragma: no cover - schema error, not user error
        raise TypeError(f"unsupported schema type {hint} at {path}")
    lo, hi = meta.get("lo"), meta.get("hi")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ctx.fail(path, f"{value!r} is out of range [{lo}, {hi}]")
    return value


def _tuple(args: tuple, fld: dataclasses.Field, value: Any, path: str, ctx: Context) -> tuple:
    if not isinstance(value, list):
        raise ctx.fail(path, f"expected a list, got {value!r}")
    variadic = len(args) == 2 and args[1] is Ellipsis
    if not variadic and len(value) != len(args):
        raise ctx.fail(path, f"expected a list of {len(args)} values, got {len(value)}")
    types = [args[0]] * len(value) if variadic else list(args)
    if variadic and dataclasses.is_dataclass(args[0]):  # an array of tables, e.g. [[cells]]
        return tuple(build(args[0], v, f"{path}[{i}]", ctx) for i, v in enumerate(value))
    out = tuple(
        _scalar(t, fld, v, f"{path}[{i}]", ctx) for i, (t, v) in enumerate(zip(types, value, strict=True))
    )
    is_range = not variadic and len(args) == 2 and fld.metadata.get("ordered", True)
    if is_range and out[0] > out[1]:
        raise ctx.fail(path, f"range low {out[0]!r} is above high {out[1]!r}")
    return out


def _mapping(name: str, value: Any, path: str, ctx: Context) -> MappingProxyType:
    """Mappings: terrain kinds (name -> proportion) and reward / termination term tables.

    Keys are sorted, the order canonical JSON has: a manifest rebuilt from a run's manifest.json
    (resume, replay) then sums reward terms and lays out terrain columns in the same order as the
    TOML it came from, so results are bit-identical.
    """
    if not isinstance(value, Mapping):
        raise ctx.fail(path, f"expected a table, got {type(value).__name__}")
    value = {k: value[k] for k in sorted(value)}
    if path == "terrain.kinds":
        return _kinds(value, path, ctx)
    if path == "rewards.terms":
        return MappingProxyType(
            {k: _term(k, v, ctx.rewards, f"{path}.{k}", ctx, True) for k, v in value.items()}
        )
    if path == "terminations.terms":
        return MappingProxyType(
            {k: _term(k, v, ctx.terminations, f"{path}.{k}", ctx, False) for k, v in value.items()}
        )
    raise TypeError(f"no mapping converter for {path} ({name})")  # pragma: no cover


def _kinds(value: Mapping, path: str, ctx: Context) -> MappingProxyType:
    out = {}
    for kind, share in value.items():
        if kind not in KINDS:
            raise ctx.fail(f"{path}.{kind}", f"unknown terrain kind (known: {', '.join(sorted(KINDS))})")
        if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1e6:
            raise ctx.fail(f"{path}.{kind}", f"expected a non-negative proportion, got {share!r}")
        out[kind] = float(share)
    return MappingProxyType(out)


def _term(name: str, table: Any, registry: TermRegistry, path: str, ctx: Context, weighted: bool):
    """A reward term {weight, params...} or termination {params...}; params checked against the function."""
    from locoaudit.manifest.schema import TermSpec

    if name not in registry:
        raise ctx.fail(path, f"unknown term (known: {', '.join(sorted(registry))})")
    if not isinstance(table, Mapping):
        raise ctx.fail(path, f"expected a table, got {type(table).__name__}")
    table = dict(table)
    weight = 1.0
    if weighted:
        if "weight" not in table:
            raise ctx.fail(f"{path}.weight", "missing (every reward term needs a weight)")
        weight_field = dataclasses.fields(TermSpec)[0]
        weight = _scalar(float, weight_field, table.pop("weight"), f"{path}.weight", ctx)
    return TermSpec(weight=weight, params=_params(registry[name], table, path, ctx))


def _params(fn: Callable, given: Mapping, path: str, ctx: Context) -> MappingProxyType:
    """Keyword-only parameters of a term function, defaults filled in, numbers as floats."""
    declared = {
        p.name: p.default for p in inspect.signature(fn).parameters.values() if p.kind is p.KEYWORD_ONLY
    }
    unknown = sorted(set(given) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise ctx.fail(f"{path}.{unknown[0]}", f"unknown parameter (known: {known})")
    out = {}
    for key, default in declared.items():
        value = given.get(key, default)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        else:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            value = float(value) if ok else value
        if not ok:
            raise ctx.fail(f"{path}.{key}", f"expected {type(default).__name__}, got {value!r}")
        if key in POSITIVE_PARAMS and value <= 0:
            raise ctx.fail(f"{path}.{key}", f"must be > 0, got {value!r}")
        out[key] = value
    return MappingProxyType(out)
