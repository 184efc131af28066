"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, pg_ctl on a private port.

The binaries are found on PATH or where Debian puts them (/usr/lib/postgresql/<version>/bin, the newest
first). initdb refuses to run as root, so as root the server runs as the unprivileged `postgres` user
(created by Debian's postgresql package) in a folder it owns. Clients connect over TCP on 127.0.0.1
with a password (scram-sha-256), as a team would. `python tests/pg_server.py` starts one and prints
its URL until Enter is pressed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER, PASSWORD = "locoaudit", "pg-test-secret"  # a throwaway cluster's superuser


class NoServer(Exception):
    """Why no PostgreSQL server can be started here (the tests skip with this reason)."""


def find_bindir() -> Path:
    """The folder holding initdb and pg_ctl: PATH first, else the newest /usr/lib/postgresql/*/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent  # e.g. a symlink in /usr/local/bin
    found = [
        p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb") if (p.parent / "pg_ctl").exists()
    ]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    if not found:
        raise NoServer(
            "no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin"
        )
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A PostgreSQL cluster in its own temporary folder; `stop` ends the server and deletes the folder."""

    def __init__(self):
        self.bindir = find_bindir()
        self.prefix: list[str] = []
        self.owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            try:
                self.owner = pwd.getpwnam("postgres")
            except KeyError:
                raise NoServer("running as root and there is no unprivileged 'postgres' user") from None
            if shutil.which("runuser") is None:
                raise NoServer("running as root without runuser to start the server as 'postgres'")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix="locoaudit-pg-"))
        self.port = _free_port()
        self.started = False

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=180)
        if done.returncode:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(args[:1])} failed ({done.returncode}): {done.stderr[-2000:]}{tail}"
            )

    def start(self) -> Cluster:
        pwfile = self.folder / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.owner is not None:
            os.chown(self.folder, self.owner.pw_uid, self.owner.pw_gid)
            os.chown(pwfile, self.owner.pw_uid, self.owner.pw_gid)
        data = self.folder / "data"
        self._run(
            str(self.bindir / "initdb"), "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
            "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off"
        )
        pg_ctl = str(self.bindir / "pg_ctl")
        log = str(self.folder / "server.log")
        self._run(pg_ctl, "-D", str(data), "-l", log, "-w", "-t", "120", "-o", options, "start")
        self.started = True
        return self

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.started:
            self._run(
                str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop"
            )
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    cluster = Cluster().start()
    try:
        print(cluster.url())
        input("PostgreSQL is running; press Enter to stop it and delete its folder ")
    finally:
        cluster.stop()
