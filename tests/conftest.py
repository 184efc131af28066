"""Shared test setup: offline Menagerie robots, a throwaway PostgreSQL server and small helpers."""

import itertools
from pathlib import Path

import pytest

from locoaudit.robots.adapters import use_offline_menagerie
from pg_server import Cluster, NoServer

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


@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL server started for this test session (stopped and deleted at its end).

    Skips only when no server can be started here (no binaries; root without an unprivileged user);
    binaries that are there but fail to start a server fail the tests instead.
    """
    try:
        cluster = Cluster()
    except NoServer as why:
        pytest.skip(f"no PostgreSQL server can be started: {why}")
    try:
        yield cluster.start()
    finally:
        cluster.stop()


_databases = itertools.count()


@pytest.fixture
def pg_url(postgres_cluster):
    """postgresql://... of a new, empty database on the session's server."""
    return postgres_cluster.create_database(f"t{next(_databases)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path):
    """A --ledger URL of a new ledger on each backend: an SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path}/ledger.sqlite"
    return request.getfixturevalue("pg_url")
