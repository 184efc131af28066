"""The ledger on a real PostgreSQL server: same schema as SQLite, migrations, the log, errors, every verb."""

from pathlib import Path

import psycopg
import pytest
from ledger_helpers import evaluation
from sqlalchemy import inspect
from sqlalchemy.exc import DBAPIError

from locoaudit.cli import main
from locoaudit.errors import LocoauditError
from locoaudit.ledger.record import build_record
from locoaudit.ledger.schema import POSTGRESQL_MIGRATIONS, SCHEMA_VERSION
from locoaudit.ledger.store import open_ledger
from locoaudit.report.data import load_run
from pg_server import PASSWORD


def shape(ledger) -> dict:
    """Tables -> (columns, primary key, indexes) as SQLAlchemy's inspector reports them (SQLite lets a
    TEXT primary key hold NULL, PostgreSQL does not: nullability is compared for other columns)."""
    found = inspect(ledger.conn)
    out = {}
    for t in sorted(set(found.get_table_names()) - {"locoaudit_schema", "sqlite_sequence"}):
        pk = found.get_pk_constraint(t)["constrained_columns"]
        columns = [(c["name"], c["nullable"] and c["name"] not in pk) for c in found.get_columns(t)]
        out[t] = (columns, pk, sorted((i["name"], tuple(i["column_names"])) for i in found.get_indexes(t)))
    return out


def test_the_same_schema_on_sqlite_and_postgresql(pg_url, tmp_path):
    lite, pg = open_ledger(str(tmp_path / "l.sqlite"), tmp_path), open_ledger(pg_url, tmp_path)
    assert shape(pg) == shape(lite) and set(shape(pg)) == {"runs", "evaluations", "promotions", "labs"}
    assert pg.backend.version(pg.conn) == SCHEMA_VERSION
    with pytest.raises(DBAPIError, match="append-only"):
        pg.conn.exec_driver_sql("TRUNCATE promotions")
    lite.close()
    pg.close()


def test_migration_from_v1_keeps_data(make_run, pg_url, tmp_path):
    with psycopg.connect(pg_url) as conn:  # the v1 schema, as an older locoaudit created it
        for statement in POSTGRESQL_MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("CREATE TABLE locoaudit_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO locoaudit_schema VALUES (1)")
        conn.execute(
            'INSERT INTO promotions (run_id, task_key, champion_id, decided, "user", panels, decision,'
            " reasons, evidence, findings, overrides) VALUES ('old', 't', NULL, 'then', 'u', '[]',"
            " 'promoted', '[]', '[]', '[]', '[\"bootstrap\"]')"
        )
    ledger = open_ledger(pg_url, tmp_path, create=False)
    assert ledger.backend.version(ledger.conn) == SCHEMA_VERSION == 3
    assert ledger.champion("t") == "old" and ledger.promotions()[0].overrides == ("bootstrap",)
    with pytest.raises(DBAPIError, match="append-only"):  # v2 made the log append-only
        ledger.conn.exec_driver_sql("UPDATE promotions SET decision = 'refused'")
    ledger.add_run(build_record(make_run("new")))
    ledger.add_lab("lab1", "parallelism", "h" * 64, "/labs/lab1", {"levels": [256]})  # v3: labs
    assert [r.run_id for r in ledger.list_runs()] == ["new"] and ledger.get_lab("lab1") == {"levels": [256]}
    ledger.close()


def test_empty_newer_and_foreign_databases(pg_url, postgres_cluster, tmp_path):
    with pytest.raises(LocoauditError, match=r"/t\d+: no ledger yet"):
        open_ledger(pg_url, tmp_path, create=False)  # listing does not create a ledger
    with psycopg.connect(pg_url) as conn:
        conn.execute("CREATE TABLE locoaudit_schema (version INTEGER NOT NULL)")
        conn.execute(f"INSERT INTO locoaudit_schema VALUES ({SCHEMA_VERSION + 1})")
    with pytest.raises(LocoauditError, match="newer than this locoaudit"):
        open_ledger(pg_url, tmp_path)
    foreign = postgres_cluster.create_database("foreign_db")
    with psycopg.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(LocoauditError, match="foreign_db: a database that is not a locoaudit ledger"):
        open_ledger(foreign, tmp_path)


def test_bad_urls_and_credentials_are_one_line_exit_2_without_the_password(postgres_cluster, capsys):
    port = postgres_cluster.port
    cases = {
        postgres_cluster.url(password="Wr0ng-s3cret"): "password authentication failed",
        f"postgresql://u:Wr0ng-s3cret@127.0.0.1:{port}/no?connect_timeout=5": "cannot connect to the ledger",
        "postgresql://u:Wr0ng-s3cret@127.0.0.1:notaport/db": "not a valid database URL",
        "postgresql://u:Wr0ng-s3cret@127.0.0.1:99999/db": "port 99999 is out of range",
        "postgresql+psycopg2://u:Wr0ng-s3cret@127.0.0.1/db": "scheme 'postgresql+psycopg2' is not supported",
        f"postgresql://u@127.0.0.1:{port}/db?password=Wr0ng-s3cret": "password authentication failed",
    }
    for url, why in cases.items():
        assert main(["runs", "list", "--ledger", url]) == 2, url
        err = capsys.readouterr().err
        assert why in err and "Wr0ng-s3cret" not in err and "***" in err and err.count("\n") == 1, err


def test_every_ledger_verb_on_postgresql(make_run, pg_url, monkeypatch, capsys):
    a = make_run("a", [evaluation("a"), evaluation("a", kind="transfer", simulator="mjx")])
    b = make_run("b", [evaluation("b", fall=(0.30, 0.20, 0.40))], manifest="short")
    ledger = ["--ledger", pg_url]
    assert main(["runs", "add", str(a), *ledger]) == 0
    out = capsys.readouterr().out
    assert "added a to postgresql://locoaudit:***@" in out and "pg-test-secret" not in out
    assert main(["runs", "compare", "a", str(b), "--panel", "disturbance", *ledger]) == 0
    assert "0.2 [0.05, 0.35]" in capsys.readouterr().out
    assert main(["promote", "a", "--panel", "disturbance", "--bootstrap", *ledger]) == 0
    assert main(["runs", "show", "a", *ledger]) == 0
    assert "promotion: champion" in capsys.readouterr().out
    monkeypatch.setenv("PGPASSWORD", PASSWORD)  # the password kept out of the URL (and the process list)
    assert main(["runs", "list", "--json", "--ledger", pg_url.replace(f":{PASSWORD}@", "@")]) == 0
    assert '"run_id": "b"' in capsys.readouterr().out
    assert [e.decision for e in load_run(Path(a), pg_url).promotions] == ["promoted"]  # locoaudit report
