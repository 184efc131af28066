"""Load a manifest (shipped name or TOML path), canonicalise it and hash it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from locoaudit.errors import ManifestError
from locoaudit.manifest.schema import Manifest
from locoaudit.manifest.validate import Context, build
from locoaudit.terms.rewards import REWARDS
from locoaudit.terms.terminations import TERMINATIONS

PACKAGE_MANIFESTS = "locoaudit.manifests"


def shipped_names(package: str = PACKAGE_MANIFESTS) -> list[str]:
    """Names of the TOML files shipped inside a package folder (manifests by default)."""
    root = resources.files(package)
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def read_toml(
    name_or_path: str | Path, kind: str = "manifest", package: str = PACKAGE_MANIFESTS
) -> tuple[dict, str]:
    """Parse a shipped name or a path; returns (table, source label used in error messages)."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        source = str(path)
        if not path.is_file():
            raise ManifestError(source, "", f"{kind} file not found")
        text = _utf8(path.read_bytes(), source)
    else:
        names = shipped_names(package)
        if str(name_or_path) not in names:
            raise ManifestError(
                str(name_or_path), "", f"no such {kind} file or shipped name (shipped: {', '.join(names)})"
            )
        source = f"{name_or_path}.toml"
        text = _utf8(resources.files(package).joinpath(source).read_bytes(), source)
    try:
        return tomllib.loads(text), source
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(source, "", f"invalid TOML: {exc}") from None


def _utf8(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            source, "", f"not UTF-8 text (byte {exc.start}): a binary or mis-encoded file"
        ) from None


def load_manifest(name_or_path: str | Path) -> Manifest:
    """Load, validate and freeze an environment manifest."""
    table, source = read_toml(name_or_path)
    return manifest_from_dict(table, source)


def manifest_from_dict(table: dict, source: str = "<dict>") -> Manifest:
    """Validate a parsed manifest table (as TOML gives it) into a frozen Manifest."""
    manifest = build(Manifest, table, "", Context(source, REWARDS, TERMINATIONS))
    _check_cross_fields(manifest, source)
    return manifest


def manifest_from_canonical(plain: dict, source: str = "<canonical>") -> Manifest:
    """Rebuild a Manifest from its canonical JSON form (term params are nested there, flat in TOML)."""
    table = json.loads(json.dumps(plain))
    try:
        for term in table.get("rewards", {}).get("terms", {}).values():
            term.update(term.pop("params", {}))
        for name, term in table.get("terminations", {}).get("terms", {}).items():
            table["terminations"]["terms"][name] = dict(term.get("params", {}))
    except (AttributeError, TypeError, ValueError):
        raise ManifestError(source, "rewards", "not a canonical manifest (terms are not tables)") from None
    return manifest_from_dict(table, source)


def with_backend(manifest: Manifest, backend: str) -> Manifest:
    """The manifest with sim.backend replaced: a command-line override, so the hash changes with it."""
    return dataclasses.replace(manifest, sim=dataclasses.replace(manifest.sim, backend=backend))


MAX_SCAN_POINTS = 4096  # per env; legged_gym's scan has 187


def _check_cross_fields(m: Manifest, source: str) -> None:
    """Constraints between sections that a single field cannot express."""
    if m.terrain.type == "grid":
        _check_grid(m, source)
    if m.terrain.max_init_level >= m.terrain.num_rows:
        raise ManifestError(
            source, "terrain.max_init_level", f"must be below terrain.num_rows ({m.terrain.num_rows})"
        )
    if not m.rewards.terms:
        raise ManifestError(source, "rewards.terms", "at least one reward term is required")
    solimp = m.robot.foot_solimp
    if solimp and (len(solimp) != 3 or solimp[0] > solimp[1] or solimp[2] <= 0.0):
        problem = f"{list(solimp)}: expected [dmin, dmax, width] with dmin <= dmax and width > 0"
        raise ManifestError(source, "robot.foot_solimp", problem)
    for key in ("actor_hidden_dims", "critic_hidden_dims"):
        if not getattr(m.ppo, key):
            raise ManifestError(source, f"ppo.{key}", "needs at least one hidden layer size")
    obs = m.observations
    points = (round(obs.scan_size[0] / obs.scan_resolution) + 1) * (
        round(obs.scan_size[1] / obs.scan_resolution) + 1
    )
    if obs.height_scan and points > MAX_SCAN_POINTS:
        raise ManifestError(
            source,
            "observations.scan_size",
            f"{points} scan points per env (over {MAX_SCAN_POINTS}): coarsen it",
        )


def _check_grid(m: Manifest, source: str) -> None:
    """A grid terrain that can be generated: kinds with a positive total, a size that fits in memory."""
    from locoaudit.terrain.grid import grid_problem

    t = m.terrain
    if not t.kinds:
        raise ManifestError(source, "terrain.kinds", "a grid terrain needs at least one kind")
    if sum(t.kinds.values()) <= 0:
        raise ManifestError(
            source, "terrain.kinds", "proportions sum to 0: give at least one a positive share"
        )
    problem = grid_problem(t.num_rows, t.num_cols, t.tile_size, t.resolution, t.border)
    if problem:
        raise ManifestError(source, "terrain", problem)


def to_plain(obj: Any) -> Any:
    """Manifest -> plain JSON-able dicts, lists, floats, ints, strings and bools."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (dict, MappingProxyType)):
        return {k: to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (tuple, list)):
        return [to_plain(v) for v in obj]
    return obj


def canonical_json(manifest: Manifest) -> str:
    """Key-sorted, whitespace-free JSON; floats in Python's shortest round-trip form."""
    return json.dumps(to_plain(manifest), sort_keys=True, separators=(",", ":"), allow_nan=False)


def manifest_hash(manifest: Manifest) -> str:
    """sha256 of the canonical JSON: the identity of an environment contract."""
    return hashlib.sha256(canonical_json(manifest).encode()).hexdigest()
