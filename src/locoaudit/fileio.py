"""File writing shared by every package: atomic writes, so a crash never leaves a half-written file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from locoaudit.errors import LocoauditError
from locoaudit.safety import checksum_line, checksum_path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves a half-written file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_json(path: Path, obj: Any) -> None:
    """Indented, key-sorted JSON with a trailing newline, written atomically."""
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def atomic_write_checked(path: Path, data: bytes) -> None:
    """atomic_write_bytes plus a sha256 sidecar (path + '.sha256') that loaders verify."""
    atomic_write_bytes(path, data)
    atomic_write_bytes(checksum_path(path), checksum_line(path, data))


def read_text(path: Path) -> str:
    """A UTF-8 text file's contents; one clear error for a missing, unreadable or binary file."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LocoauditError(
            f"{path}: not UTF-8 text (byte {exc.start}): a binary or mis-encoded file"
        ) from None
    except OSError as exc:
        raise LocoauditError(f"{path}: cannot read: {exc.strerror}") from None


def read_json(path: Path, what: str = "JSON") -> Any:
    """A JSON file's value; one clear error naming the file otherwise."""
    try:
        return json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise LocoauditError(f"{path}: unreadable {what}: {exc}") from None
