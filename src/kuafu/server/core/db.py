"""The SQL store: engine, sessions, and migrations (Alembic, shipped in the package)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


POOL_SIZE = 45
"""Connections kept open: one per request thread (anyio's 40) plus the scheduler's and
the lease's. A smaller pool opens and closes its overflow connections under load, and
opening one costs more than the statements of a small job."""


def normalise_url(url: str) -> str:
    """Let `postgresql://` mean the psycopg 3 driver, the one Kuafu depends on."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and its directory created."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=POOL_SIZE, max_overflow=20)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "handle_error", _sqlite_read_only_is_a_disconnect)
        return engine
    return create_engine(url, pool_size=POOL_SIZE, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_read_only_is_a_disconnect(context) -> None:
    """SQLite opens a connection read-only for good when its file cannot be written at
    that moment, and an I/O error leaves a connection unsure of its state: drop the
    pool's connections so that, once the disk is writable again, new ones are made."""
    text = str(context.original_exception).lower()
    if "readonly database" in text or "disk i/o error" in text:
        context.is_disconnect = True


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is there already)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """An engine and its sessions; one per server process.

    Two ways to a session, named for who commits: `transaction()`, committed at the end
    of its block (rolled back on error), and `session_factory()`, whose owner commits
    (a service that must commit at a precise moment, `jobs.submit_job`, or a reader).
    """

    def __init__(self, url: str) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        """A plain session (`with db.session_factory() as s:`): nothing is committed
        unless its owner commits; closing it rolls back the rest."""
        self._write_lock = threading.Lock() if self.url.startswith("sqlite") else None

    def writing(self) -> threading.Lock | nullcontext:
        """Hold this around a busy writing transaction (first write to commit).

        SQLite lets one transaction write at a time, and one that finds the file locked
        polls, sleeping 1, 2, 5, 10... ms between tries, so under load the lock stands
        idle while its waiters sleep. Queueing the writers of this process on a lock
        of its own hands the file over at once. PostgreSQL locks rows: nothing to do.
        Enter it only in a transaction that has written nothing yet (else it could hold
        the file while it waits for a writer that waits for the file).
        """
        return self._write_lock if self._write_lock is not None else nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends, rolled back if it
        raises; the code inside may commit earlier too (`jobs.submit` commits under
        `writing`)."""
        with self.session_factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def migrate(self) -> None:
        migrate(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()
