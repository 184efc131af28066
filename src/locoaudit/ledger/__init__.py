"""The run ledger: run records, an SQLite store, construct-matched comparison and the promotion gate."""
