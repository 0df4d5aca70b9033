"""A throwaway PostgreSQL cluster for the test session: initdb into a temporary directory, the server on a free
loopback port (scram passwords over TCP) and a unix socket beside its data (trust, for the administrator)."""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

USER, PASSWORD = "codex", "pw-" + secrets.token_hex(12)  # the password tests look for in every output
ADMIN = "postgres"


def server_binaries() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, else the newest Debian /usr/lib/postgresql/N/bin."""
    if found := shutil.which("pg_ctl"):
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="codex-pg-"))  # not under pytest's tmp: the server's user must reach it
        self.data, self.log = self.base / "data", self.base / "server.log"
        self.port = free_port()
        # the server refuses to run as root: run it as the postgres user then
        self._as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_owner:
            shutil.chown(self.base, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", ADMIN, "--auth-local=trust", "--auth-host=scram-sha-256", "-N", "-E", "UTF8", "--locale=C.UTF-8")
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.base} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=120"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")
        with self.admin() as admin:
            admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(USER), sql.Literal(PASSWORD)))

    def _run(self, program: str, *args: str) -> None:
        proc = subprocess.run([*self._as_owner, str(self.bindir / program), *args], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({proc.returncode}): {proc.stderr}{log}")

    def admin(self, database: str = "postgres") -> psycopg.Connection:
        """The superuser over the unix socket (no password)."""
        return psycopg.connect(host=str(self.base), port=self.port, user=ADMIN, dbname=database, autocommit=True)

    def url(self, database: str, password: str = PASSWORD) -> str:
        return f"postgresql://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A fresh, empty database owned by the tests' user; its URL."""
        with self.admin() as admin:
            admin.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(USER)))
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
