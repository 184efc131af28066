"""Names that become path parts, writes that stay inside their folder, and sha256 sidecar checksums."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

from locoaudit.errors import LocoauditError

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
SAFE_NAME_RULE = "1-64 characters from A-Z a-z 0-9 _ . -, starting with a letter or digit"
CHECKSUM_SUFFIX = ".sha256"


def name_problem(name: object) -> str | None:
    """Why `name` may not become a file or folder name, or None when it may."""
    if not isinstance(name, str) or SAFE_NAME.fullmatch(name) is None:
        return f"{name!r} is not a safe name ({SAFE_NAME_RULE})"
    return None


def inside(folder: Path, name: str) -> Path:
    """folder/name, refusing unsafe names and anything (symlinks included) that resolves outside folder."""
    problem = name_problem(name)
    if problem:
        raise LocoauditError(f"{folder}: refusing to write {problem}")
    path = Path(folder) / name
    root = Path(folder).resolve()
    if not path.resolve().is_relative_to(root):
        raise LocoauditError(f"{path}: refusing to write: resolves outside {root}")
    return path


def sha256_hex(data: bytes) -> str:
    """sha256 of bytes as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


def checksum_path(path: Path) -> Path:
    """The sidecar file holding path's sha256 (`sha256sum -c` format)."""
    return path.with_name(path.name + CHECKSUM_SUFFIX)


def checksum_line(path: Path, data: bytes) -> bytes:
    """One `sha256sum` line for data stored as path."""
    return f"{sha256_hex(data)}  {path.name}\n".encode()


def verify_checksum(path: Path, data: bytes, required: bool) -> bool:
    """Check data against path's sidecar; False when there is none and it is not required."""
    side = checksum_path(path)
    if not side.is_file():
        if required:
            raise LocoauditError(
                f"{path}: no checksum file {side.name}; refusing to load it unverified "
                "(files from before locoaudit wrote checksums: retrain)"
            )
        return False
    try:
        expected = side.read_text(encoding="ascii").split()[0].lower()
    except (UnicodeDecodeError, IndexError, OSError):
        raise LocoauditError(f"{side}: not a sha256 checksum file") from None
    if expected != sha256_hex(data):
        raise LocoauditError(f"{path}: sha256 does not match {side.name}: the file is corrupt or was changed")
    return True


def warn(message: str) -> None:
    """One warning line on stderr."""
    print(f"locoaudit: warning: {message}", file=sys.stderr)
