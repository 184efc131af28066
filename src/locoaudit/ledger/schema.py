"""The ledger's SQL schema as a list of migrations; `PRAGMA user_version` is the number applied.

Tables: runs (one row per run: identity columns, the record JSON and the canonical manifest JSON),
evaluations (one row per evaluation file, its JSON in `body`), promotions (the append-only log of
gate decisions: who, when, which panels, decision, reasons, evidence, findings, overrides), labs (one row
per lab, e.g. `locoaudit lab parallelism`: its record JSON in `body`; schema v3).
"""

APPEND_ONLY = "SELECT RAISE(ABORT, 'the promotion log is append-only')"

# MIGRATIONS[v] takes a database from schema version v to v + 1; version 1 is the original schema.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE runs (run_id TEXT PRIMARY KEY, manifest_name TEXT NOT NULL,"
        " manifest_hash TEXT NOT NULL, task_key TEXT NOT NULL, run_dir TEXT, added TEXT NOT NULL,"
        " record TEXT NOT NULL, manifest TEXT NOT NULL)",
        "CREATE INDEX runs_task ON runs (task_key)",
        "CREATE TABLE evaluations (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (run_id),"
        " panel TEXT NOT NULL, panel_hash TEXT NOT NULL, seed INTEGER NOT NULL, kind TEXT NOT NULL,"
        " simulator TEXT NOT NULL, checkpoint_iteration INTEGER, created TEXT, body TEXT NOT NULL)",
        "CREATE INDEX evaluations_run ON evaluations (run_id)",
        "CREATE TABLE promotions (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL,"
        " task_key TEXT NOT NULL, champion_id TEXT, decided TEXT NOT NULL, user TEXT NOT NULL,"
        " panels TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('promoted', 'refused')),"
        " reasons TEXT NOT NULL, evidence TEXT NOT NULL, findings TEXT NOT NULL, overrides TEXT NOT NULL)",
    ),
    (
        f"CREATE TRIGGER promotions_no_update BEFORE UPDATE ON promotions BEGIN {APPEND_ONLY}; END",
        f"CREATE TRIGGER promotions_no_delete BEFORE DELETE ON promotions BEGIN {APPEND_ONLY}; END",
        "CREATE INDEX evaluations_panel ON evaluations (panel, panel_hash)",
    ),
    (
        "CREATE TABLE labs (lab_id TEXT PRIMARY KEY, kind TEXT NOT NULL, manifest_hash TEXT NOT NULL,"
        " lab_dir TEXT, added TEXT NOT NULL, body TEXT NOT NULL)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
