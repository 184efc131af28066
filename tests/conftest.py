"""Shared test setup: offline Menagerie robots and small helpers."""

from pathlib import Path

import pytest

from locoaudit.robots.adapters import use_offline_menagerie

REPO = Path(__file__).resolve().parents[1]
use_offline_menagerie(REPO)


@pytest.fixture
def write_toml(tmp_path):
    """Write TOML text to a file and return its path."""

    def write(text: str, name: str = "m.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
