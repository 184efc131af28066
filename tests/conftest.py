"""Shared test setup: offline Menagerie robots and small helpers."""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_MENAGERIE = REPO.parent / "shared" / "menagerie"

if "MENAGERIE_ROOT" not in os.environ and SHARED_MENAGERIE.is_dir():
    os.environ["MENAGERIE_ROOT"] = str(SHARED_MENAGERIE)


@pytest.fixture
def write_toml(tmp_path):
    """Write TOML text to a file and return its path."""

    def write(text: str, name: str = "m.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
