"""A PostgreSQL server of one test's own, so that the test may restart it or make it
read-only without disturbing the shared server other tests use at the same time.

It is the real PostgreSQL of this machine (the binaries `scripts/ensure-postgres.sh`
installs), in a temporary data directory, on a free loopback port, with trust auth.
PostgreSQL refuses to run as root, so as root it runs as the `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from kuafu.server.testing import free_port


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql "
                           "(run scripts/ensure-postgres.sh)")
    return Path(found[-1]).parent


class PrivatePostgres:
    """`initdb` + `pg_ctl` in a temporary directory: start, restart, crash, read-only."""

    def __init__(self) -> None:
        self.bin = _bin_dir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="kuafu-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/kuafu"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check,
                              timeout=120)

    def start(self) -> PrivatePostgres:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                      "--no-sync")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c max_connections=200",
                  "start")
        with self.admin() as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname='kuafu'").fetchone():
                conn.execute("CREATE DATABASE kuafu")
        return self

    def admin(self) -> psycopg.Connection:
        return psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres",
                               autocommit=True, connect_timeout=10)

    def crash(self) -> None:
        """Stop at once, as a power cut would (`immediate`: no checkpoint, recovery on
        the next start); every connection is cut."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def restart(self, down_for: float = 0.0) -> None:
        self.crash()
        time.sleep(down_for)
        self.start()

    def read_only(self, on: bool) -> None:
        """Make every transaction read-only from now on (open sessions included, at
        their next transaction), as a database whose disk was remounted read-only
        refuses writes while it still answers reads."""
        value = "on" if on else "off"
        with self.admin() as conn:
            conn.execute("SET default_transaction_read_only = off")
            conn.execute(f"ALTER SYSTEM SET default_transaction_read_only = {value}")
            conn.execute("SELECT pg_reload_conf()")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PrivatePostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
