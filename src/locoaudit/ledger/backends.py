"""What differs between the ledger's databases: connecting, locking for writes, the schema version.

`SqlLedger` (store.py) runs the same SQL on both through SQLAlchemy Core connections in autocommit
mode, opening its own write transactions with `begin_write`:
  - SQLite: `BEGIN IMMEDIATE` (the write lock up front; a busy timeout queues concurrent writers);
  - PostgreSQL (psycopg 3): `BEGIN` then a transaction-scoped advisory lock, so writers to one ledger
    take turns as on SQLite: the champion check and the log append of a promotion happen under it, and
    two processes promoting at once cannot both see "no champion yet" and both append.
URLs with credentials are only ever shown through `mask` (the password as ***).
"""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from pathlib import Path

from sqlalchemy import Connection, create_engine, exc, make_url, text
from sqlalchemy.pool import NullPool

from locoaudit.errors import LocoauditError
from locoaudit.ledger.schema import MIGRATIONS, POSTGRESQL_MIGRATIONS

BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 10
WRITE_LOCK = 0x6C6F636F61756474  # pg_advisory_xact_lock key of a ledger's writers ("locoaudt")
POSTGRESQL_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")


class LedgerUnwritable(LocoauditError):
    """SQLite could not open the ledger for writing (read-only file or folder)."""


def mask(url: str) -> str:
    """The URL with its password (in the user part or a password= parameter) replaced by ***."""
    head, sep, query = url.partition("?")
    query = re.sub(r"(?i)(^|&)(password=)[^&#]*", r"\1\2***", query)
    scheme, slashes, rest = head.partition("://")
    if slashes and "@" in rest:
        userinfo, host = rest.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = userinfo.split(":", 1)[0] + ":***"
        head = f"{scheme}://{userinfo}@{host}"
    return head + sep + query


def one_line(error: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """A driver error as one line (the DBAPI message when wrapped), without the given secrets."""
    orig = error.orig if isinstance(error, exc.DBAPIError) and error.orig is not None else error
    line = " ".join(part.strip() for part in str(orig).splitlines() if part.strip())
    for secret in secrets:
        line = line.replace(secret, "***")
    return line or type(orig).__name__


class SqliteBackend:
    """One SQLite file: WAL mode, a busy timeout, `PRAGMA user_version`; read-only opens it immutable."""

    migrations = MIGRATIONS

    def __init__(self, path: Path, read_only: bool = False):
        self.path, self.read_only = path, read_only
        self.url, self.where = f"sqlite://{path.resolve()}", str(path)

    def _dbapi(self) -> sqlite3.Connection:
        if self.read_only:  # immutable: no -wal / -shm files are needed (or created) beside it
            uri = f"{self.path.resolve().as_uri()}?mode=ro&immutable=1"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
        else:
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def connect(self) -> Connection:
        engine = create_engine(
            "sqlite+pysqlite://", creator=self._dbapi, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        return engine.connect()

    def begin_write(self, conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def version(self, conn: Connection) -> int:
        return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())

    def set_version(self, conn: Connection, version: int) -> None:
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")

    def is_empty(self, conn: Connection) -> bool:
        return conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar_one() == 0

    def error(self, error: BaseException) -> LocoauditError:
        orig = error.orig if isinstance(error, exc.DBAPIError) else error
        if isinstance(orig, sqlite3.OperationalError):
            return LedgerUnwritable(f"{self.path}: cannot open the ledger: {one_line(error)}")
        return LocoauditError(f"{self.path}: not a usable ledger database: {one_line(error)}")


class PostgresBackend:
    """A PostgreSQL database through psycopg 3; the schema version in the table `locoaudit_schema`."""

    migrations = POSTGRESQL_MIGRATIONS

    def __init__(self, url: str):
        self.url = self.where = mask(url)
        try:
            parsed = make_url(url)
            port = parsed.port  # e.g. a non-numeric port fails here
        except (exc.ArgumentError, ValueError) as error:
            raise LocoauditError(f"--ledger {self.url}: not a valid database URL ({error})") from None
        if parsed.drivername not in POSTGRESQL_SCHEMES:
            raise LocoauditError(
                f"--ledger {self.url}: driver '{parsed.drivername}' is not supported (use postgresql://)"
            )
        if port is not None and not 0 < port < 65536:
            raise LocoauditError(f"--ledger {self.url}: port {port} is out of range")
        if importlib.util.find_spec("psycopg") is None:
            raise LocoauditError(
                f"--ledger {self.url}: a PostgreSQL ledger needs psycopg: pip install 'locoaudit[postgresql]'"
            )
        self.secrets = tuple(s for s in (parsed.password, parsed.query.get("password")) if isinstance(s, str))
        self.sa_url = parsed.set(drivername="postgresql+psycopg")

    def connect(self) -> Connection:
        args = {} if "connect_timeout" in self.sa_url.query else {"connect_timeout": CONNECT_TIMEOUT_S}
        engine = create_engine(
            self.sa_url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={**args, "application_name": "locoaudit"},
        )
        return engine.connect()

    def begin_write(self, conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})

    def version(self, conn: Connection) -> int:
        if conn.execute(text("SELECT to_regclass('locoaudit_schema')")).scalar_one() is None:
            return 0
        return int(conn.execute(text("SELECT max(version) FROM locoaudit_schema")).scalar_one() or 0)

    def set_version(self, conn: Connection, version: int) -> None:
        conn.exec_driver_sql("CREATE TABLE IF NOT EXISTS locoaudit_schema (version INTEGER NOT NULL)")
        conn.exec_driver_sql("DELETE FROM locoaudit_schema")
        conn.execute(text("INSERT INTO locoaudit_schema (version) VALUES (:v)"), {"v": int(version)})

    def is_empty(self, conn: Connection) -> bool:
        query = "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
        return conn.execute(text(query)).scalar_one() == 0

    def error(self, error: BaseException) -> LocoauditError:
        what = "cannot connect to the ledger" if isinstance(error, exc.OperationalError) else "ledger error"
        return LocoauditError(f"{self.url}: {what}: {one_line(error, self.secrets)}")
