"""A real PostgreSQL + PostGIS server for the tests, started in a temporary folder and stopped after.

Uses Debian's ``postgresql`` and ``postgis`` packages (the README's test set-up installs them).
PostgreSQL refuses to run as root, so as root the server runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PASSWORD = "gis-test-secret"


def _bindir() -> Path:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        raise RuntimeError("PostgreSQL is not installed (the README's test set-up installs it)")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """Start with :meth:`start`, stop with :meth:`stop`; :attr:`url` connects as user ``gis``."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gis-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self.url = f"postgresql://gis:{PASSWORD}@127.0.0.1:{self.port}/gis"

    def _run(self, *cmd: str) -> None:
        full = ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else list(cmd)
        subprocess.run(full, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        bindir = _bindir()
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD)
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(str(bindir / "initdb"), "-D", str(self.data), "-U", "gis", "-A", "scram-sha-256",
                  f"--pwfile={pwfile}", "-E", "UTF8", "--no-locale")
        self._run(str(bindir / "pg_ctl"), "-D", str(self.data), "-w", "-l", str(self.root / "log"), "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1", "start")
        from sqlalchemy import create_engine, text

        admin = create_engine(f"postgresql://gis:{PASSWORD}@127.0.0.1:{self.port}/postgres",
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE gis"))
        admin.dispose()
        engine = create_engine(self.url)
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
        return self

    def stop(self) -> None:
        try:
            self._run(str(_bindir() / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
