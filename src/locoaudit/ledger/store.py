"""The ledger store: run records, evaluations and the append-only promotion log.

`Ledger` is the interface the commands use; `SqliteLedger` implements it on one SQLite file (WAL
mode, `PRAGMA user_version` schema versions, every write one BEGIN IMMEDIATE transaction with a busy
timeout, so concurrent writers queue instead of losing rows). A server database would be a second
implementation chosen by URL scheme in `open_ledger`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from locoaudit.errors import LocoauditError
from locoaudit.evaluate.record import Evaluation, parse_evaluation
from locoaudit.ledger.record import RunRecord, record_from_json, record_json
from locoaudit.ledger.schema import MIGRATIONS, SCHEMA_VERSION

LEDGER_FILE = "ledger.sqlite"
BUSY_TIMEOUT_MS = 30_000


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


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class LedgerUnwritable(LocoauditError):
    """SQLite could not open the ledger for writing (read-only file or folder)."""


class SqliteLedger:
    """The ledger in one SQLite file."""

    def __init__(self, path: Path, read_only: bool = False):
        """Open for reading and writing, or (read_only) a ledger on a read-only file or folder."""
        self.path, self.url, self.read_only = path, f"sqlite://{path.resolve()}", read_only
        try:
            if read_only:  # immutable: no -wal / -shm files are needed (or created) beside it
                uri = f"{path.resolve().as_uri()}?mode=ro&immutable=1"
                self.conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            else:
                self.conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
                self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.OperationalError as exc:
            raise LedgerUnwritable(f"{path}: cannot open the ledger: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise LocoauditError(f"{path}: not a usable ledger database: {exc}") from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taking the write lock up front (BEGIN IMMEDIATE)."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _migrate(self) -> None:
        if self._version() == SCHEMA_VERSION:
            return
        if self.read_only:
            raise LocoauditError(
                f"{self.path}: read-only ledger at schema v{self._version()}, this locoaudit reads "
                f"v{SCHEMA_VERSION}: open it once where it is writable"
            )
        with self._write() as c:
            version = self._version()  # again, under the write lock
            if version > SCHEMA_VERSION:
                raise LocoauditError(
                    f"{self.path}: ledger schema v{version} is newer than this locoaudit's v{SCHEMA_VERSION}"
                )
            if version == 0 and c.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                raise LocoauditError(f"{self.path}: an SQLite database that is not a locoaudit ledger")
            for step in MIGRATIONS[version:]:
                for statement in step:
                    c.execute(statement)
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def add_run(self, record: RunRecord) -> None:
        """Insert or replace a run and all its evaluations, in one transaction."""
        body = record_json(record)
        body.pop("promotion")
        row = (record.run_id, record.manifest_name, record.manifest_hash, record.task_key, record.run_dir)
        with self._write() as c:
            c.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET"
                " manifest_name = excluded.manifest_name, manifest_hash = excluded.manifest_hash,"
                " task_key = excluded.task_key, run_dir = excluded.run_dir, added = excluded.added,"
                " record = excluded.record, manifest = excluded.manifest",
                (*row, now(), json.dumps(body, sort_keys=True), json.dumps(record.manifest, sort_keys=True)),
            )
            c.execute("DELETE FROM evaluations WHERE run_id = ?", (record.run_id,))
            c.executemany(
                "INSERT INTO evaluations (run_id, panel, panel_hash, seed, kind, simulator,"
                " checkpoint_iteration, created, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(record.run_id, *_evaluation_row(e)) for e in record.evaluations],
            )

    def get_run(self, run_id: str) -> RunRecord | None:
        row = self.conn.execute("SELECT record, manifest FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return None if row is None else self._record(run_id, row[0], row[1], self._statuses())

    def list_runs(self) -> list[RunRecord]:
        statuses = self._statuses()
        rows = self.conn.execute(
            "SELECT run_id, record, manifest FROM runs ORDER BY added, run_id"
        ).fetchall()
        return [self._record(*row, statuses) for row in rows]

    def _record(self, run_id: str, record: str, manifest: str, statuses: dict[str, str]) -> RunRecord:
        rows = self.conn.execute("SELECT body FROM evaluations WHERE run_id = ? ORDER BY id", (run_id,))
        where = f"{self.path}: run {run_id}"
        try:
            evaluations = tuple(parse_evaluation(json.loads(b), where) for (b,) in rows)
            status = statuses.get(run_id, "candidate")
            return record_from_json(json.loads(record), json.loads(manifest), evaluations, status)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise LocoauditError(f"{where}: damaged ledger row ({type(exc).__name__}: {exc})") from None

    def _statuses(self) -> dict[str, str]:
        """Run id -> champion (latest promoted of its task), superseded (promoted before) or refused."""
        out: dict[str, str] = {}
        champions: dict[str, str] = {}
        rows = self.conn.execute("SELECT run_id, task_key, decision FROM promotions ORDER BY id")
        for run_id, task, decision in rows:
            out[run_id] = "superseded" if decision == "promoted" else "refused"
            if decision == "promoted":
                champions[task] = run_id
        return out | {run_id: "champion" for run_id in champions.values()}

    def champion(self, task_key: str) -> str | None:
        row = self.conn.execute(
            "SELECT run_id FROM promotions WHERE task_key = ? AND decision = 'promoted'"
            " ORDER BY id DESC LIMIT 1",
            (task_key,),
        ).fetchone()
        return None if row is None else row[0]

    def log_decision(self, entry: PromotionEntry, expected_champion: str | None) -> int:
        """Append a decision; refuses if the task's champion changed since the decision was taken."""
        with self._write() as c:
            if self.champion(entry.task_key) != expected_champion:
                raise LocoauditError(
                    f"run {entry.run_id}: the champion changed while deciding; run promote again"
                )
            cur = c.execute(
                "INSERT INTO promotions (run_id, task_key, champion_id, decided, user, panels, decision,"
                " reasons, evidence, findings, overrides) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.run_id,
                    entry.task_key,
                    entry.champion_id,
                    entry.decided,
                    entry.user,
                    json.dumps(entry.panels),
                    entry.decision,
                    *(
                        json.dumps(x)
                        for x in (entry.reasons, entry.evidence, entry.findings, entry.overrides)
                    ),
                ),
            )
            return int(cur.lastrowid)

    def promotions(self, run_id: str | None = None) -> list[PromotionEntry]:
        where, args = ("WHERE run_id = ?", (run_id,)) if run_id else ("", ())
        rows = self.conn.execute(
            "SELECT run_id, task_key, champion_id, decided, user, panels, decision, reasons, evidence,"
            f" findings, overrides, id FROM promotions {where} ORDER BY id",
            args,
        ).fetchall()
        return [_entry(row) for row in rows]

    def add_lab(self, lab_id: str, kind: str, manifest_hash: str, lab_dir: str, body: dict) -> None:
        """Insert or replace a lab record (its runs are added with add_run)."""
        with self._write() as c:
            c.execute(
                "INSERT INTO labs VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (lab_id) DO UPDATE SET"
                " kind = excluded.kind, manifest_hash = excluded.manifest_hash, lab_dir = excluded.lab_dir,"
                " added = excluded.added, body = excluded.body",
                (lab_id, kind, manifest_hash, lab_dir, now(), json.dumps(body, sort_keys=True)),
            )

    def get_lab(self, lab_id: str) -> dict | None:
        row = self.conn.execute("SELECT body FROM labs WHERE lab_id = ?", (lab_id,)).fetchone()
        return None if row is None else json.loads(row[0])

    def close(self) -> None:
        self.conn.close()


def _evaluation_row(e: Evaluation) -> tuple:
    body = json.dumps(e.to_json(), sort_keys=True)
    return (e.panel, e.panel_hash, e.seed, e.kind, e.simulator, e.checkpoint_iteration, e.created, body)


def _entry(row: tuple) -> PromotionEntry:
    run_id, task, champion, decided, user, panels, decision, *lists, ident = row
    reasons, evidence, findings, overrides = (tuple(json.loads(x)) for x in lists)
    pairs = tuple((p, h) for p, h in json.loads(panels))
    return PromotionEntry(
        run_id, task, champion, decided, user, pairs, decision, reasons, evidence, findings, overrides, ident
    )


def ledger_path(url: str | None, runs_dir: Path) -> Path:
    """The SQLite file a --ledger URL (sqlite:///path or a plain path) or the runs directory names."""
    if url is None:
        return runs_dir / LEDGER_FILE
    scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", url)
    if scheme is None:
        return Path(url)
    if scheme.group(1).lower() != "sqlite":
        raise LocoauditError(
            f"--ledger {url}: scheme '{scheme.group(1)}' is not supported yet (use sqlite:///path or a path)"
        )
    return Path(url[len("sqlite://") :])


def open_ledger(url: str | None, runs_dir: Path, create: bool = True) -> Ledger:
    """Open (creating it when `create`) the ledger named by --ledger, else runs_dir/ledger.sqlite."""
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
