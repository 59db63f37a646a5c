"""Wake long-polling requests when the scheduler finishes their job."""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict
from collections.abc import Iterable


class JobEvents:
    """Asyncio events per job id, set from the scheduler's thread."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._lock = threading.Lock()

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

    def notify(self, job_ids: Iterable[str]) -> None:
        if self._loop is None:
            return
        with self._lock:
            events = [e for j in job_ids for e in self._waiters.get(j, ())]
        for event in events:
            self._loop.call_soon_threadsafe(event.set)
