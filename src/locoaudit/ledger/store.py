"""The ledger store: run records, evaluations and the append-only promotion log.

`Ledger` is the interface the commands use; `SqlLedger` (sql.py) implements it with one set of SQL
statements on SQLite (`SqliteLedger`: one file, the embedded default) and PostgreSQL (`PostgresLedger`:
a server shared by a team), chosen by the URL scheme in `open_ledger`. What differs between the two
databases lives in backends.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from locoaudit.errors import LocoauditError
from locoaudit.ledger.backends import (
    POSTGRESQL_SCHEMES,
    LedgerUnwritable,
    PostgresBackend,
    SqliteBackend,
    mask,
)
from locoaudit.ledger.record import RunRecord
from locoaudit.ledger.schema import MIGRATIONS, SCHEMA_VERSION
from locoaudit.ledger.sql import PromotionEntry, SqlLedger, now

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "LedgerUnwritable", "PromotionEntry", "SqlLedger", "now"]

LEDGER_FILE = "ledger.sqlite"


class Ledger(Protocol):
    """What the commands need from a ledger store."""

    url: str

    def add_run(self, record: RunRecord) -> None: ...
    def get_run(self, run_id: str) -> RunRecord | None: ...
    def list_runs(self) -> list[RunRecord]: ...
    def champion(self, task_key: str) -> str | None: ...
    def log_decision(self, entry: PromotionEntry, expected_champion: str | None) -> int: ...
    def promotions(self, run_id: str | None = None) -> list[PromotionEntry]: ...
    def add_lab(self, lab_id: str, kind: str, manifest_hash: str, lab_dir: str, body: dict) -> None: ...
    def get_lab(self, lab_id: str) -> dict | None: ...
    def close(self) -> None: ...


class SqliteLedger(SqlLedger):
    """The ledger in one SQLite file (read_only: on a read-only file or folder, opened immutable)."""

    def __init__(self, path: Path, read_only: bool = False):
        self.path, self.read_only = path, read_only
        super().__init__(SqliteBackend(path, read_only))


class PostgresLedger(SqlLedger):
    """The ledger in a PostgreSQL database named by a postgresql:// URL (credentials masked in `url`)."""

    def __init__(self, url: str, create: bool = True):
        super().__init__(PostgresBackend(url), create)


def _scheme(url: str) -> str | None:
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    return None if match is None else match.group(1).lower()


def ledger_path(url: str | None, runs_dir: Path) -> Path:
    """The SQLite file a --ledger URL (sqlite:///path or a plain path) or the runs directory names."""
    if url is None:
        return runs_dir / LEDGER_FILE
    scheme = _scheme(url)
    if scheme is None:
        return Path(url)
    if scheme != "sqlite":
        raise LocoauditError(
            f"--ledger {mask(url)}: scheme '{scheme}' is not supported"
            " (use sqlite:///path, a path or postgresql://user@host/database)"
        )
    return Path(url[len("sqlite://") :])


def open_ledger(url: str | None, runs_dir: Path, create: bool = True) -> Ledger:
    """Open (creating it when `create`) the ledger named by --ledger, else runs_dir/ledger.sqlite."""
    if url is not None and _scheme(url) in POSTGRESQL_SCHEMES:
        return PostgresLedger(url, create=create)
    path = ledger_path(url, runs_dir)
    if path.is_dir():
        raise LocoauditError(f"{path}: is a folder, not a ledger file")
    if not path.is_file():
        if not create:
            raise LocoauditError(f"{path}: no ledger yet (add a run with `locoaudit runs add RUN_DIR`)")
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True)
    try:
        return SqliteLedger(path)
    except LedgerUnwritable:
        if create or not path.is_file():
            raise
        return SqliteLedger(path, read_only=True)  # listing a ledger on a read-only disk or folder
