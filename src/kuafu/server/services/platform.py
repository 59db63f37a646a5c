"""The running platform: settings, store, scheduler and events, shared by every request."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.config import Settings
from ..core.db import Database
from ..dask_executor import DaskExecutorHandle
from ..executor import ExecutorHandle, make_handle
from .events import JobEvents
from .scheduler import Scheduler
from .webhooks import Dispatcher


@dataclass
class Platform:
    settings: Settings
    db: Database
    scheduler: Scheduler
    events: JobEvents = field(default_factory=JobEvents)
    webhooks: Dispatcher | None = None  # issue 17: signed, retried notifications

    @classmethod
    def create(cls, settings: Settings,
               executor: ExecutorHandle | DaskExecutorHandle | None = None) -> Platform:
        """Open the store (migrating it) and prepare a scheduler; `start` runs it."""
        db = Database(settings.database_url)
        db.migrate()
        events = JobEvents()
        executor = executor or make_handle(settings)
        webhooks = Dispatcher(db, settings.webhook_retry_base)
        events.add_listener(webhooks.jobs_ended)
        return cls(settings, db, Scheduler(db, settings, executor, events), events, webhooks)

    def start(self) -> None:
        self.scheduler.start()
        if self.webhooks is not None:
            self.webhooks.start()

    def stop(self) -> None:
        if self.webhooks is not None:
            self.webhooks.stop()
        self.scheduler.stop()
        self.db.dispose()
