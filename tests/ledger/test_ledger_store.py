"""The ledger on both backends (round trip, the append-only log) and SQLite's own: migrations, URLs."""

import sqlite3
from pathlib import Path

import pytest
from ledger_helpers import evaluation
from sqlalchemy.exc import DBAPIError

from locoaudit.errors import LocoauditError
from locoaudit.ledger.record import build_record, record_json
from locoaudit.ledger.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    PromotionEntry,
    SqliteLedger,
    ledger_path,
    open_ledger,
)


def entry(run_id, task_key, decision="promoted", champion=None):
    return PromotionEntry(
        run_id, task_key, champion, "2026-11-25T12:00:00+00:00", "tester", (("disturbance", "a" * 64),),
        decision, ("r",), ("e",), (), ("bootstrap",),
    )  # fmt: skip


def version(ledger) -> int:
    return ledger.backend.version(ledger.conn)


def test_round_trip(make_run, ledger_url, tmp_path):
    rec = build_record(make_run("r1", [evaluation("r1"), evaluation("r1", kind="transfer", simulator="mjx")]))
    ledger = open_ledger(ledger_url, tmp_path)
    ledger.add_run(rec)
    back = ledger.get_run("r1")
    assert record_json(back) == record_json(rec)
    assert back.manifest == rec.manifest and back.evaluations == rec.evaluations
    ledger.add_run(rec)  # upsert: still one run, evaluations replaced, not doubled
    assert len(ledger.list_runs()) == 1 and len(ledger.get_run("r1").evaluations) == 2
    assert ledger.get_run("missing") is None
    assert version(ledger) == SCHEMA_VERSION
    ledger.add_lab("lab1", "parallelism", "h" * 64, "/labs/lab1", {"levels": [256, 2048]})
    ledger.add_lab("lab1", "parallelism", "h" * 64, "/labs/lab1", {"levels": [256, 4096]})  # upsert
    assert ledger.get_lab("lab1") == {"levels": [256, 4096]} and ledger.get_lab("lab2") is None
    ledger.close()


def test_sqlite_ledger_is_in_wal_mode(tmp_path):
    ledger = SqliteLedger(tmp_path / "l.sqlite")
    assert ledger.conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert ledger.conn.exec_driver_sql("PRAGMA user_version").scalar() == SCHEMA_VERSION


def test_promotion_log_status_and_champion(make_run, ledger_url, tmp_path):
    ledger = open_ledger(ledger_url, tmp_path)
    a, b = build_record(make_run("a")), build_record(make_run("b"))
    ledger.add_run(a)
    ledger.add_run(b)
    ledger.log_decision(entry("a", a.task_key), expected_champion=None)
    assert ledger.champion(a.task_key) == "a" and ledger.get_run("a").promotion == "champion"
    with pytest.raises(LocoauditError, match="champion changed"):
        ledger.log_decision(entry("b", b.task_key), expected_champion=None)
    ledger.log_decision(entry("b", b.task_key, champion="a"), expected_champion="a")
    assert [r.promotion for r in ledger.list_runs()] == ["superseded", "champion"]
    (logged,) = ledger.promotions("b")
    assert logged.panels == (("disturbance", "a" * 64),) and logged.overrides == ("bootstrap",)
    assert logged.user == "tester" and logged.champion_id == "a"
    for statement in ("DELETE FROM promotions", "UPDATE promotions SET decision = 'refused'"):
        with pytest.raises(DBAPIError, match="append-only"):
            ledger.conn.exec_driver_sql(statement)
    assert len(ledger.promotions()) == 2 and ledger.champion(a.task_key) == "b"
    ledger.close()


def test_migration_from_schema_v1_keeps_data(make_run, tmp_path):
    path = tmp_path / "old.sqlite"
    conn = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:  # the original (v1) schema, as an older locoaudit created it
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO promotions (run_id, task_key, champion_id, decided, user, panels, decision, reasons,"
        " evidence, findings, overrides) VALUES ('old', 't', NULL, 'then', 'u', '[]', 'promoted', '[]',"
        " '[]', '[]', '[\"bootstrap\"]')"
    )
    conn.commit()
    conn.close()
    ledger = SqliteLedger(path)
    assert version(ledger) == SCHEMA_VERSION == 3
    assert ledger.champion("t") == "old" and ledger.promotions()[0].overrides == ("bootstrap",)
    with pytest.raises(DBAPIError, match="append-only"):  # v2 made the log append-only
        ledger.conn.exec_driver_sql("UPDATE promotions SET decision = 'refused'")
    ledger.add_run(build_record(make_run("new")))
    assert [r.run_id for r in ledger.list_runs()] == ["new"]


def test_newer_schema_and_foreign_databases_are_refused(tmp_path):
    newer = tmp_path / "newer.sqlite"
    sqlite3.connect(newer).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}").connection.close()
    with pytest.raises(LocoauditError, match="newer than this locoaudit"):
        SqliteLedger(newer)
    foreign = tmp_path / "foreign.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(LocoauditError, match="not a locoaudit ledger"):
        SqliteLedger(foreign)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(LocoauditError, match=r"garbage\.sqlite: not a usable ledger database"):
        SqliteLedger(garbage)


def test_ledger_urls(tmp_path):
    runs = Path("runs")
    assert ledger_path(None, runs) == runs / "ledger.sqlite"
    assert ledger_path("sqlite:///abs/path.sqlite", runs) == Path("/abs/path.sqlite")
    assert ledger_path("some/file.sqlite", runs) == Path("some/file.sqlite")
    with pytest.raises(
        LocoauditError, match=r"--ledger mysql://u:\*\*\*@db/x: scheme 'mysql' is not supported"
    ):
        ledger_path("mysql://u:pw@db/x", runs)
    with pytest.raises(LocoauditError, match="no ledger yet"):
        open_ledger(None, tmp_path / "nowhere", create=False)
    opened = open_ledger(f"sqlite://{tmp_path}/sub/l.sqlite", runs)  # sqlite:// + /abs/path
    assert opened.url == f"sqlite://{tmp_path}/sub/l.sqlite" and (tmp_path / "sub" / "l.sqlite").is_file()
    opened.close()


def test_a_read_only_ledger_can_still_be_listed(tmp_path, capsys):
    import subprocess

    from locoaudit.cli import main
    from locoaudit.ledger.store import open_ledger

    folder = tmp_path / "ro"
    folder.mkdir()
    open_ledger(str(folder / "l.sqlite"), folder).close()
    locked = [folder / "l.sqlite", folder]  # immutable: even root cannot write there
    if any(subprocess.run(["chattr", "+i", str(p)], capture_output=True).returncode for p in locked):
        for p in locked:
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)
        pytest.skip("chattr +i is not available here")
    try:
        assert main(["runs", "list", "--ledger", str(folder / "l.sqlite")]) == 0
        assert "no runs in" in capsys.readouterr().out
    finally:
        for p in reversed(locked):
            subprocess.run(["chattr", "-i", str(p)], capture_output=True)


def test_migration_from_schema_v2_adds_the_lab_table(make_run, tmp_path):
    path = tmp_path / "v2.sqlite"
    conn = sqlite3.connect(path)
    for step in MIGRATIONS[:2]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    old = SqliteLedger(path)  # migrates to v3
    old.add_run(build_record(make_run("r")))
    assert version(old) == 3
    assert old.get_lab("lab1") is None
    old.add_lab("lab1", "parallelism", "h" * 64, "/labs/lab1", {"levels": [256, 2048]})
    old.add_lab("lab1", "parallelism", "h" * 64, "/labs/lab1", {"levels": [256, 4096]})  # upsert
    assert old.get_lab("lab1") == {"levels": [256, 4096]}
    assert [r.run_id for r in old.list_runs()] == ["r"]
