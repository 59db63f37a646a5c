"""One scheduler per store: a lease row renewed every second.

Two servers scheduling from one store would each requeue the other's running jobs
on start and run them twice. The lease makes the second one wait for the first to
stop (or, after a crash, for its lease to lapse), then refuse with a clear message.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ..core.db import Database
from ..models import SchedulerLease, utcnow

logger = logging.getLogger(__name__)


class LeaseHeld(RuntimeError):
    """Another server holds the scheduling lease of this store."""


class Lease:
    """The right to schedule jobs from a store, held while renewed within `ttl` seconds."""

    def __init__(self, db: Database, ttl: float = 5.0) -> None:
        self.db = db
        self.ttl = ttl
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self, wait: float | None = None) -> None:
        """Take the lease, waiting up to `wait` seconds (default 2 × ttl) for it to lapse.

        Raises:
            LeaseHeld: another live server keeps renewing it.
        """
        deadline = time.monotonic() + (2 * self.ttl if wait is None else wait)
        while True:
            if self._try():
                return
            if time.monotonic() >= deadline:
                with self.db.session_factory() as session:
                    holder = session.scalar(select(SchedulerLease.owner))
                raise LeaseHeld(f"another Kuafu server ({holder}) is scheduling jobs from "
                                "this store; stop it, or give this one another --database")
            time.sleep(0.25)

    def _try(self) -> bool:
        try:
            with self.db.engine.begin() as conn:
                conn.execute(insert(SchedulerLease).values(
                    id=1, owner=self.owner, heartbeat_at=utcnow()))
            return True
        except IntegrityError:  # the row exists: take it if it lapsed
            return self.renew(take_over=True)

    def renew(self, take_over: bool = False) -> bool:
        """Extend the lease; False if it was lost (another server took it over)."""
        now = utcnow()
        mine = SchedulerLease.owner == self.owner
        if take_over:
            mine = or_(mine, SchedulerLease.heartbeat_at < now - timedelta(seconds=self.ttl))
        with self.db.engine.begin() as conn:
            changed = conn.execute(update(SchedulerLease).where(SchedulerLease.id == 1, mine)
                                   .values(owner=self.owner, heartbeat_at=now)).rowcount
        return changed == 1

    def release(self) -> None:
        try:
            with self.db.engine.begin() as conn:
                conn.execute(update(SchedulerLease).where(SchedulerLease.owner == self.owner)
                             .values(heartbeat_at=utcnow() - timedelta(days=1)))
        except Exception:  # the store may be gone already at shut-down
            logger.warning("could not release the scheduling lease", exc_info=True)
