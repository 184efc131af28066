"""`SqlLedger`: the ledger's statements, one set for SQLite and PostgreSQL (SQLAlchemy Core, text SQL).

Reads run in autocommit; every write is one transaction that `backend.begin_write` opens with the
ledger's write lock held from its start (backends.py), so concurrent writers queue instead of losing
rows, and a promotion's champion check and log append cannot interleave with another process's.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, exc, text

from locoaudit.errors import LocoauditError
from locoaudit.evaluate.record import Evaluation, parse_evaluation
from locoaudit.ledger.backends import PostgresBackend, SqliteBackend
from locoaudit.ledger.record import RunRecord, record_from_json, record_json
from locoaudit.ledger.schema import SCHEMA_VERSION


@dataclass(frozen=True)
class PromotionEntry:
    """One row of the promotion log: who decided what about which run, on which panels, and why."""

    run_id: str
    task_key: str
    champion_id: str | None
    decided: str
    user: str
    panels: tuple[tuple[str, str], ...]  # (panel, panel_hash)
    decision: str  # 'promoted' | 'refused'
    reasons: tuple[str, ...]
    evidence: tuple[str, ...]
    findings: tuple[str, ...]
    overrides: tuple[str, ...]
    id: int | None = None


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


Backend = SqliteBackend | PostgresBackend


class SqlLedger:
    """The ledger in a SQL database: the same statements on SQLite and PostgreSQL."""

    def __init__(self, backend: Backend, create: bool = True):
        """Connect and bring the schema up to date; `create` False refuses a database with no ledger."""
        self.backend, self.url, self.where = backend, backend.url, backend.where
        self.conn: Connection | None = None
        try:
            self.conn = backend.connect()
            self._migrate(create)
        except (exc.DBAPIError, sqlite3.Error) as error:
            self.close()
            raise backend.error(error) from None
        except BaseException:
            self.close()
            raise

    @contextmanager
    def _guard(self) -> Iterator[Connection]:
        """The connection; a database error becomes one line naming the ledger (credentials masked)."""
        assert self.conn is not None, "the ledger is closed"
        try:
            yield self.conn
        except exc.DBAPIError as error:
            raise self.backend.error(error) from None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction holding the ledger's write lock from its start."""
        with self._guard() as c:
            self.backend.begin_write(c)
            try:
                yield c
            except BaseException:
                c.exec_driver_sql("ROLLBACK")
                raise
            c.exec_driver_sql("COMMIT")

    def _rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple]:
        with self._guard() as c:
            return [tuple(row) for row in c.execute(text(sql), dict(params or {}))]

    def _migrate(self, create: bool) -> None:
        assert self.conn is not None
        version = self.backend.version(self.conn)
        if version == SCHEMA_VERSION:
            return
        if version == 0 and not create and self.backend.is_empty(self.conn):
            raise LocoauditError(f"{self.where}: no ledger yet (add a run with `locoaudit runs add RUN_DIR`)")
        if getattr(self.backend, "read_only", False):
            raise LocoauditError(
                f"{self.where}: read-only ledger at schema v{version}, this locoaudit reads "
                f"v{SCHEMA_VERSION}: open it once where it is writable"
            )
        self.backend.begin_write(self.conn)
        try:
            self._apply_migrations()
        except BaseException:
            self.conn.exec_driver_sql("ROLLBACK")
            raise
        self.conn.exec_driver_sql("COMMIT")

    def _apply_migrations(self) -> None:
        assert self.conn is not None
        version = self.backend.version(self.conn)  # again, under the write lock
        if version > SCHEMA_VERSION:
            raise LocoauditError(
                f"{self.where}: ledger schema v{version} is newer than this locoaudit's v{SCHEMA_VERSION}"
            )
        if version == 0 and not self.backend.is_empty(self.conn):
            raise LocoauditError(f"{self.where}: a database that is not a locoaudit ledger")
        for step in self.backend.migrations[version:]:
            for statement in step:
                self.conn.exec_driver_sql(statement)
        self.backend.set_version(self.conn, SCHEMA_VERSION)

    def add_run(self, record: RunRecord) -> None:
        """Insert or replace a run and all its evaluations, in one transaction."""
        body = record_json(record)
        body.pop("promotion")
        row = {
            "run_id": record.run_id,
            "manifest_name": record.manifest_name,
            "manifest_hash": record.manifest_hash,
            "task_key": record.task_key,
            "run_dir": record.run_dir,
            "added": now(),
            "record": json.dumps(body, sort_keys=True),
            "manifest": json.dumps(record.manifest, sort_keys=True),
        }
        evaluations = [{"run_id": record.run_id, **_evaluation_row(e)} for e in record.evaluations]
        with self._write() as c:
            c.execute(
                text(
                    "INSERT INTO runs VALUES (:run_id, :manifest_name, :manifest_hash, :task_key, :run_dir,"
                    " :added, :record, :manifest) ON CONFLICT (run_id) DO UPDATE SET"
                    " manifest_name = excluded.manifest_name, manifest_hash = excluded.manifest_hash,"
                    " task_key = excluded.task_key, run_dir = excluded.run_dir, added = excluded.added,"
                    " record = excluded.record, manifest = excluded.manifest"
                ),
                row,
            )
            c.execute(text("DELETE FROM evaluations WHERE run_id = :run_id"), {"run_id": record.run_id})
            if evaluations:
                c.execute(
                    text(
                        "INSERT INTO evaluations (run_id, panel, panel_hash, seed, kind, simulator,"
                        " checkpoint_iteration, created, body) VALUES (:run_id, :panel, :panel_hash, :seed,"
                        " :kind, :simulator, :checkpoint_iteration, :created, :body)"
                    ),
                    evaluations,
                )

    def get_run(self, run_id: str) -> RunRecord | None:
        rows = self._rows("SELECT record, manifest FROM runs WHERE run_id = :r", {"r": run_id})
        return None if not rows else self._record(run_id, *rows[0], self._statuses())

    def list_runs(self) -> list[RunRecord]:
        statuses = self._statuses()
        rows = self._rows("SELECT run_id, record, manifest FROM runs ORDER BY added, run_id")
        return [self._record(*row, statuses) for row in rows]

    def _record(self, run_id: str, record: str, manifest: str, statuses: dict[str, str]) -> RunRecord:
        rows = self._rows("SELECT body FROM evaluations WHERE run_id = :r ORDER BY id", {"r": run_id})
        where = f"{self.where}: run {run_id}"
        try:
            evaluations = tuple(parse_evaluation(json.loads(b), where) for (b,) in rows)
            status = statuses.get(run_id, "candidate")
            return record_from_json(json.loads(record), json.loads(manifest), evaluations, status)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise LocoauditError(f"{where}: damaged ledger row ({type(error).__name__}: {error})") from None

    def _statuses(self) -> dict[str, str]:
        """Run id -> champion (latest promoted of its task), superseded (promoted before) or refused."""
        out: dict[str, str] = {}
        champions: dict[str, str] = {}
        for run_id, task, decision in self._rows(
            "SELECT run_id, task_key, decision FROM promotions ORDER BY id"
        ):
            out[run_id] = "superseded" if decision == "promoted" else "refused"
            if decision == "promoted":
                champions[task] = run_id
        return out | {run_id: "champion" for run_id in champions.values()}

    def champion(self, task_key: str) -> str | None:
        rows = self._rows(
            "SELECT run_id FROM promotions WHERE task_key = :t AND decision = 'promoted'"
            " ORDER BY id DESC LIMIT 1",
            {"t": task_key},
        )
        return rows[0][0] if rows else None

    def log_decision(self, entry: PromotionEntry, expected_champion: str | None) -> int:
        """Append a decision; refuses if the task's champion changed since the decision was taken."""
        with self._write() as c:
            if self.champion(entry.task_key) != expected_champion:
                raise LocoauditError(
                    f"run {entry.run_id}: the champion changed while deciding; run promote again"
                )
            row = {k: getattr(entry, k) for k in ("run_id", "task_key", "champion_id", "decided", "user")}
            for k in ("panels", "reasons", "evidence", "findings", "overrides"):
                row[k] = json.dumps(getattr(entry, k))
            insert = (
                'INSERT INTO promotions (run_id, task_key, champion_id, decided, "user", panels, decision,'
                " reasons, evidence, findings, overrides) VALUES (:run_id, :task_key, :champion_id, :decided,"
                " :user, :panels, :decision, :reasons, :evidence, :findings, :overrides) RETURNING id"
            )
            return int(c.execute(text(insert), {**row, "decision": entry.decision}).scalar_one())

    def promotions(self, run_id: str | None = None) -> list[PromotionEntry]:
        where = "WHERE run_id = :r" if run_id else ""
        rows = self._rows(
            'SELECT run_id, task_key, champion_id, decided, "user", panels, decision, reasons, evidence,'
            f" findings, overrides, id FROM promotions {where} ORDER BY id",
            {"r": run_id} if run_id else None,
        )
        return [_entry(row) for row in rows]

    def add_lab(self, lab_id: str, kind: str, manifest_hash: str, lab_dir: str, body: dict) -> None:
        """Insert or replace a lab record (its runs are added with add_run)."""
        with self._write() as c:
            c.execute(
                text(
                    "INSERT INTO labs VALUES (:lab_id, :kind, :manifest_hash, :lab_dir, :added, :body)"
                    " ON CONFLICT (lab_id) DO UPDATE SET kind = excluded.kind,"
                    " manifest_hash = excluded.manifest_hash, lab_dir = excluded.lab_dir,"
                    " added = excluded.added, body = excluded.body"
                ),
                {
                    "lab_id": lab_id,
                    "kind": kind,
                    "manifest_hash": manifest_hash,
                    "lab_dir": lab_dir,
                    "added": now(),
                    "body": json.dumps(body, sort_keys=True),
                },
            )

    def get_lab(self, lab_id: str) -> dict | None:
        rows = self._rows("SELECT body FROM labs WHERE lab_id = :l", {"l": lab_id})
        return json.loads(rows[0][0]) if rows else None

    def close(self) -> None:
        if self.conn is not None:
            engine = self.conn.engine
            self.conn.close()
            engine.dispose()
            self.conn = None


def _evaluation_row(e: Evaluation) -> dict[str, Any]:
    return {
        "panel": e.panel,
        "panel_hash": e.panel_hash,
        "seed": e.seed,
        "kind": e.kind,
        "simulator": e.simulator,
        "checkpoint_iteration": e.checkpoint_iteration,
        "created": e.created,
        "body": json.dumps(e.to_json(), sort_keys=True),
    }


def _entry(row: tuple) -> PromotionEntry:
    run_id, task, champion, decided, user, panels, decision, *lists, ident = row
    reasons, evidence, findings, overrides = (tuple(json.loads(x)) for x in lists)
    pairs = tuple((p, h) for p, h in json.loads(panels))
    return PromotionEntry(
        run_id, task, champion, decided, user, pairs, decision, reasons, evidence, findings, overrides, ident
    )
