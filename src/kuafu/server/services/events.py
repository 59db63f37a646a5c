"""Wake long-polling requests when the scheduler finishes their job."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

logger = logging.getLogger("kuafu.jobs")


class JobEvents:
    """Asyncio events per job id, set from the scheduler's thread.

    A job that ends hands its row (`Scheduler._record`) to the requests waiting on
    it, which answer with it instead of reading the job again. It also remembers, for
    the last `remember` jobs, who submitted them through this
    server and whether they have changed since (been notified): a long poll on such a
    job that has not changed can start waiting at once, without a trip to the store
    to check the owner and the status first.
    """

    def __init__(self, remember: int = 100_000) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._lock = threading.Lock()
        self._remember = remember
        self._owners: dict[str, int] = {}  # insertion-ordered: the oldest go first
        self._changed: dict[str, None] = {}
        self._ended: dict[str, Any] = {}  # rows of ended jobs that requests wait on
        self._listeners: list[Callable[[list[str]], None]] = []

    def add_listener(self, listener: Callable[[list[str]], None]) -> None:
        """Call `listener(job_ids)` with the jobs of every notification (from the
        thread that notifies; it must be quick: webhooks queue them)."""
        self._listeners.append(listener)

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def register(self, job_id: str) -> asyncio.Event:
        event = asyncio.Event()
        with self._lock:
            self._waiters[job_id].add(event)
        return event

    def unregister(self, job_id: str, event: asyncio.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(job_id)
            if waiters is not None:
                waiters.discard(event)
                if not waiters:
                    del self._waiters[job_id]
                    self._ended.pop(job_id, None)

    def ended_row(self, job_id: str) -> Any | None:
        """The row the job ended with, if it ended while a request waited on it."""
        return self._ended.get(job_id)

    def submitted(self, job_ids: Iterable[str], user_id: int) -> None:
        """Jobs `user_id` has just submitted (they are queued, unchanged)."""
        with self._lock:
            for job_id in job_ids:
                self._owners[job_id] = user_id
            _trim(self._owners, self._remember)

    def unchanged_job_of(self, job_id: str, user_id: int) -> bool:
        """True if `user_id` submitted the job here and nothing has happened to it since;
        False when unknown (the store must be asked)."""
        with self._lock:
            return self._owners.get(job_id) == user_id and job_id not in self._changed

    def notify(self, job_ids: Iterable[str], ended: dict[str, Any] | None = None) -> None:
        """Wake the requests waiting on these jobs; `ended`: rows of those that ended
        (a failed one is logged on `kuafu.jobs`, for operators)."""
        for row in (ended or {}).values():
            if getattr(row, "status", None) == "failed":
                logger.warning("job_failed job=%s backend=%s user_id=%s attempts=%s "
                               "error=%s", row.id, row.backend, row.user_id, row.attempts,
                               json.dumps(row.error or ""))
        ids = list(job_ids)
        for listener in self._listeners:
            listener(ids)
        with self._lock:
            for job_id in ids:
                self._changed[job_id] = None
                if ended and job_id in ended and job_id in self._waiters:
                    self._ended[job_id] = ended[job_id]
            _trim(self._changed, self._remember)
            events = [e for j in ids for e in self._waiters.get(j, ())]
        if self._loop is None:
            return
        for event in events:
            self._loop.call_soon_threadsafe(event.set)


def _trim(entries: dict[str, object], limit: int) -> None:
    while len(entries) > limit:
        del entries[next(iter(entries))]
