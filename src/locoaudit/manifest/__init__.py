"""Environment manifests: TOML -> validated frozen objects -> canonical JSON -> sha256."""

from locoaudit.manifest.load import (
    canonical_json,
    load_manifest,
    manifest_from_canonical,
    manifest_from_dict,
    manifest_hash,
    read_toml,
    shipped_names,
    to_plain,
)
from locoaudit.manifest.schema import Manifest

__all__ = [
    "Manifest",
    "canonical_json",
    "load_manifest",
    "manifest_from_canonical",
    "manifest_from_dict",
    "manifest_hash",
    "read_toml",
    "shipped_names",
    "to_plain",
]
