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


@pytest.fixture(scope="session")
def local_ray():
    """A local Ray for the few Ray tests: 2 CPUs, loopback only, no dashboard, no usage reporting.

    Started once per session (it takes seconds); `--ray auto` in the code under test finds it
    already connected. Workers import this checkout through PYTHONPATH.
    """
    import os

    from locoaudit.parallel import LOOPBACK_SWITCH

    os.environ[LOOPBACK_SWITCH] = "0"  # before Ray is imported: it reads the switch then
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    import ray

    path = os.pathsep.join(p for p in (str(REPO / "src"), os.environ.get("PYTHONPATH")) if p)
    ray.init(
        address="local",
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        _node_ip_address="127.0.0.1",
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )
    yield ray
    ray.shutdown()
