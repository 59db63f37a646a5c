"""The scheduler: picks queued jobs, runs them on the executor, records the outcome.

One thread per server. Its order on each backend (`picking`): a reservation in force
gives the chip to its project alone; jobs of open chip sessions first; then fair share
between projects (`fairshare`: recent usage against allocation, decayed), and inside a
project priority (higher first), then fair share between its members (a user's k-th
waiting job ranks behind every other user's (k - running)-th), then arrival. Backends
take turns.

The job's row is the truth. The scheduler hands the executor a few jobs more than it
has workers (`capacity`), so that a worker never waits for the next pass; those stay
`queued` in the store until a worker starts one. Then the job is claimed
(`lifecycle.claim`: queued -> running, attempts + 1), batched with the outcomes of the
pass (`lifecycle.record`), so a job shows `running` only once it runs, at no extra
write per job. A job cancelled before its claim is not claimed, and its worker is
stopped. An outcome is written only if the row is still `running` with the same
attempt number, so a late answer from a worker that was given up on, or a job
cancelled meanwhile, changes nothing. Every status change is `lifecycle`'s.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select

from ...schemas import JobStatus
from ..core.config import Settings
from ..core.db import Database
from ..executor import ExecutorHandle, Task, is_worker_lost
from ..models import BackendStatusOverride, Job, utcnow
from . import calibration, execution, lifecycle, picking
from .events import JobEvents
from .fairshare import FairShare
from .lease import Lease
from .lifecycle import Outcome

logger = logging.getLogger(__name__)
jobs_table = Job.__table__


@dataclass
class _Flight:
    """A job handed to the executor (queued in the store until a worker starts it)."""

    user_id: int
    backend: str
    attempt: int
    dispatched: float
    started: float | None = None  # when a worker started it (monotonic)
    future: Any = None
    stopped: bool = False  # stopped (cancelled, or failed by the run-time watchdog)


PREFETCH_SECONDS = 0.02
"""Work (by recent run times) each worker may hold beyond its running job (`capacity`)."""
MAX_PREFETCH = 8


def _worker_seconds(result: dict[str, Any]) -> float | None:
    timings = result.get("timings")
    seconds = timings.get("worker") if isinstance(timings, dict) else None
    return float(seconds) if isinstance(seconds, int | float) else None


CANCEL_SWEEP_SECONDS = 2.0
"""How often the scheduler looks for its in-flight jobs cancelled by another process."""

RUN_TIME_GRACE = 10.0
"""Seconds past the run-time limit after which the watchdog fails a running job."""


@dataclass(frozen=True)
class _Started:
    """A worker started the job: claim it in the store."""

    job_id: str


class Scheduler:
    """Runs queued jobs from the store on an executor until stopped."""

    def __init__(self, db: Database, settings: Settings, executor: ExecutorHandle,
                 events: JobEvents | None = None) -> None:
        self.db = db
        self.settings = settings
        self.executor = executor
        self.events = events or JobEvents()
        self._in_flight: dict[str, _Flight] = {}
        # starts and outcomes, in the order they happened (a job's start comes first)
        self._events: queue.SimpleQueue[_Started | Outcome] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kuafu-scheduler", daemon=True)
        self._run_times: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=50))
        self._worker_times: deque[float] = deque(maxlen=50)  # every backend's
        self._turn = itertools.count()
        self.fair_share = FairShare()  # projects' decayed usage (issue 17)
        self.rules = picking.Rules()  # sessions and reservations in force
        self.lease = Lease(db)
        # chips whose device agent fetches their jobs itself (docs/quafu.md)
        self._agent_served = list(execution.agent_systems().values())
        self._renewed = 0.0
        self._swept = 0.0  # the last look for jobs cancelled elsewhere
        # built once: a pass runs them on every submission, and building costs more
        # than SQLite takes to answer them
        self._pick_statement = _pick_statement(self._agent_served)
        self._reserved_statement = _reserved_statement()
        self.timelines = calibration.Timelines(db, settings)  # drifting chips (issue 18)

    # ----- life cycle ------------------------------------------------------------------
    def start(self) -> None:
        """Take the store's scheduling lease, requeue interrupted jobs, start the loop.

        Raises:
            LeaseHeld: another server schedules from the same store.
        """
        self.lease.acquire()
        self._renewed = time.monotonic()
        self.recover()
        with self.db.engine.connect() as conn:
            self.fair_share.load(conn, utcnow())
        self.executor.warm(wait=120)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.executor.shutdown()
        self._requeue_in_flight()
        self.lease.release()

    def _requeue_in_flight(self) -> None:
        """On a clean stop, put the jobs still running back in the queue, uncounted."""
        ids = list(self._in_flight)
        if not ids:
            return
        try:
            with self.db.transaction() as session:
                n = lifecycle.requeue_running(session, ids)
            logger.info("stopping: %d running job(s) requeued", n)
        except Exception:  # they will be requeued on the next start anyway
            logger.warning("could not requeue running jobs at shut-down", exc_info=True)

    def wake(self) -> None:
        """Look at the queues now (called after a submission)."""
        self._wake.set()

    def recover(self) -> int:
        """Requeue jobs left `running` by a server that stopped (`lifecycle.recover`);
        returns how many."""
        with self.db.transaction() as session:
            requeued, failed = lifecycle.recover(session, self.settings.max_attempts)
        if requeued or failed:
            logger.warning("recovery: %d job(s) requeued, %d failed", requeued, failed)
        return requeued

    # ----- what the API asks -----------------------------------------------------------
    @property
    def alive(self) -> bool:
        """Whether the scheduling thread runs (it stops if the lease is lost)."""
        return self._thread.is_alive()

    @property
    def capacity(self) -> int:
        """Jobs kept in the executor; read each pass, as a Dask cluster grows and shrinks.

        `prefetch` per worker, and more while recent jobs are short: as many as take
        `PREFETCH_SECONDS` (at most `MAX_PREFETCH`), so that a worker never waits for
        the scheduler's next pass, while a later job of higher priority still waits
        behind no more than that much work."""
        per_worker = self.settings.prefetch
        recent = list(self._worker_times)
        if len(recent) >= 10:
            mean = sum(recent) / len(recent)
            per_worker = max(per_worker, min(MAX_PREFETCH, int(PREFETCH_SECONDS / mean)))
        return self.executor.workers * per_worker

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    def mean_run_time(self, backend: str) -> float:
        times = self._run_times.get(backend)
        return sum(times) / len(times) if times else 0.05

    def started(self, job_id: str) -> bool:
        """Whether a worker has started the job (it may not be claimed in the store yet)."""
        flight = self._in_flight.get(job_id)
        return flight is not None and flight.started is not None

    def stop_job(self, job_id: str) -> bool:
        """Take a job back from the executor, stopping its computation if it runs (a
        local worker is killed and replaced); returns whether it was running. Call it
        after the job's row has left `running`, so that nothing is written for it."""
        flight = self._in_flight.get(job_id)
        if flight is None or flight.future is None:
            return False
        flight.stopped = True  # once: the sweep for jobs cancelled elsewhere skips it
        return self.executor.stop(flight.future) or flight.started is not None

    # ----- the loop --------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            try:
                if not self._keep_lease():
                    return
                self.timelines.refresh()  # recalibrations start and end (issue 18)
                self._collect()
                self._enforce_run_time()
                self._stop_cancelled()
                self._dispatch()
            except Exception:  # a store hiccup must not end scheduling
                logger.exception("scheduler pass failed; retrying")
                time.sleep(0.5)
                self._wake.set()

    def _keep_lease(self) -> bool:
        if time.monotonic() - self._renewed < 1.0:
            return True
        if not self.lease.renew():
            logger.critical("scheduling lease lost to another server; this one stops "
                            "scheduling (restart it to take over again)")
            return False
        self._renewed = time.monotonic()
        return True

    def _on_start(self, job_id: str) -> None:
        flight = self._in_flight.get(job_id)
        if flight is not None:
            flight.started = time.monotonic()
        self._events.put(_Started(job_id))
        self._wake.set()

    def _on_done(self, job_id: str, attempt: int, future) -> None:
        if future.cancelled():
            outcome = Outcome(job_id, attempt, error="cancelled before it started")
        elif (exc := future.exception()) is not None:
            if is_worker_lost(exc):
                outcome = Outcome(job_id, attempt, error=f"worker lost: {exc}", lost=True)
            else:
                outcome = Outcome(job_id, attempt, error=f"{type(exc).__name__}: {exc}")
        else:
            outcome = Outcome(job_id, attempt, result=future.result())
        self._events.put(outcome)
        self._wake.set()

    def _collect(self) -> None:
        """Claim the jobs that workers started and write the outcomes that arrived, in
        one transaction; if the store refuses (away, read-only), they are kept and
        written on a later pass, and their jobs keep their slots."""
        events: list[_Started | Outcome] = []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                break
        if not events:
            return
        starts = [e.job_id for e in events if isinstance(e, _Started)]
        outcomes = [e for e in events if isinstance(e, Outcome)]
        try:
            claimed, ended = self._record(starts, outcomes)
        except Exception:
            for e in events:
                self._events.put(e)
            raise
        for job_id in set(starts) - claimed:  # cancelled before its claim: stop it
            if (flight := self._in_flight.get(job_id)) is not None and flight.future:
                self.executor.stop(flight.future)
        for o in outcomes:
            flight = self._in_flight.get(o.job_id)
            if flight is not None and flight.attempt == o.attempt:
                del self._in_flight[o.job_id]
                if o.result is not None:
                    seconds = _worker_seconds(o.result)
                    if seconds is None:  # an executor that does not say: since its start
                        seconds = time.monotonic() - (flight.started or flight.dispatched)
                    self._run_times[flight.backend].append(seconds)
                    self._worker_times.append(max(seconds, 1e-6))
        if any(o.lost for o in outcomes):
            self.executor.rebuild_if_broken()
        self.events.notify([o.job_id for o in outcomes], ended={r.id: r for r in ended})

    def _record(self, starts: list[str],
                outcomes: list[Outcome]) -> tuple[set[str], list[Any]]:
        """Claim the started jobs, then write the outcomes, in one transaction; returns
        the ids claimed and the rows of the jobs that ended (`lifecycle.record`)."""
        now = utcnow()
        with self.db.writing(), self.db.engine.begin() as conn:
            claimed = lifecycle.claim(conn, starts, now, durable=bool(outcomes))
            ended = lifecycle.record(conn, outcomes, self.settings.max_attempts, now)
        return claimed, ended

    def _enforce_run_time(self) -> None:
        """The backstop of the workers' own run-time limit (`worker.time_limit`): a
        job running long past the limit (in a Dask worker thread, which no signal
        reaches, or stuck in one C call) is failed with the reason, then stopped (a
        local worker is killed and replaced)."""
        limit = self.settings.max_run_seconds
        now = time.monotonic()
        stuck = [(job_id, flight, now - flight.started)
                 for job_id, flight in list(self._in_flight.items())
                 if not flight.stopped and flight.started is not None
                 and now - flight.started > limit + RUN_TIME_GRACE]
        for job_id, flight, seconds in stuck:
            flight.stopped = True
            logger.error("job %s: running for %.0f s, over the run-time limit of %g s; "
                         "stopping it", job_id, seconds, limit)
            # queued before the stop's own outcome, so it is the one written
            self._events.put(Outcome(job_id, flight.attempt, error=(
                f"RunTimeExceeded: stopped by the scheduler after {seconds:.0f} s"
                f", past the run-time limit of {limit:g} s")))
            self.executor.stop(flight.future)
        if stuck:
            self._wake.set()

    def _stop_cancelled(self) -> None:
        """Every `CANCEL_SWEEP_SECONDS`, stop the in-flight jobs whose rows were
        cancelled by another process (`kuafu admin disable-user` on the store, a cancel
        through another server of the same store), which could not stop them."""
        now = time.monotonic()
        if not self._in_flight or now - self._swept < CANCEL_SWEEP_SECONDS:
            return
        self._swept = now
        with self.db.engine.connect() as conn:
            gone = conn.execute(select(Job.id).where(
                Job.id.in_(list(self._in_flight)),
                Job.status == JobStatus.CANCELLED.value)).scalars().all()
        for job_id in gone:
            flight = self._in_flight.get(job_id)
            if flight is not None and not flight.stopped:
                logger.info("job %s: cancelled in the store; stopping it", job_id)
                self.stop_job(job_id)

    def _dispatch(self) -> None:
        free = self.capacity - len(self._in_flight)
        if free <= 0:
            return
        picked = self._pick(free)
        if not picked:
            return
        tasks = self._tasks(picked)
        for task, user_id in tasks:
            flight = _Flight(user_id, task.backend, task.attempt, time.monotonic())
            self._in_flight[task.job_id] = flight
            try:
                future = self.executor.submit(
                    task, on_start=lambda j=task.job_id: self._on_start(j))
            except Exception as exc:  # still queued in the store: a later pass retries
                logger.exception("could not hand job %s to the executor", task.job_id)
                self._events.put(Outcome(task.job_id, task.attempt, lost=True,
                                          error=f"executor refused the job: {exc}"))
                self._wake.set()
                continue
            flight.future = future
            future.add_done_callback(
                lambda f, j=task.job_id, a=task.attempt: self._on_done(j, a, f))

    def _pick(self, free: int) -> list[str]:
        """Ids of up to `free` jobs to run next, in scheduling order (`picking.pick`)."""
        running = Counter(f.user_id for f in list(self._in_flight.values()))
        with self.db.engine.connect() as conn:
            rows = conn.execute(self._pick_statement,
                                {"free": free, "reserved": list(self._in_flight)}).all()
            unknown = {r.project_id for r in rows} - self.fair_share.shares.keys()
            due = (picking.load_rules(conn, self.rules, self.fair_share)
                   if unknown or self.rules.stale(time.monotonic()) else [])
            self.fair_share.known(unknown)  # a deleted project's jobs: the default share
        if due:
            with self.db.writing(), self.db.engine.begin() as conn:
                picking.close_sessions(conn, due, utcnow())
        return picking.pick(rows, free, running, self.fair_share, self.rules,
                            next(self._turn))

    def rules_changed(self) -> None:
        """A session or reservation changed: look again at the next pass."""
        self.rules.changed()
        self.wake()

    def _tasks(self, ids: list[str]) -> list[tuple[Task, int]]:
        """The picked jobs, read (still queued) as the attempt they are about to run."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(self._reserved_statement, {"ids": ids}).all()
        by_id = {row.id: row for row in rows}
        delay = self.settings.worker_delay
        limit = self.settings.max_run_seconds
        return [(Task(r.id, r.attempts + 1, r.qasm, r.backend, r.shots, r.compile, r.seed,
                      delay, r.priority, limit,
                      self.timelines.point_for(r.backend, r.calibration_pin)), r.user_id)
                for i in ids if (r := by_id.get(i)) is not None]


def _pick_statement(agent_served: list[str]) -> Any:
    """Each user's first `free` queued jobs per backend and project, in their own order
    (in a chip session first, then priority, then arrival), with that rank; held
    backends, agent-served ones and the jobs already handed to the executor
    (`reserved`) left out."""
    jobs = jobs_table.c
    held = select(BackendStatusOverride.backend).where(  # maintenance or offline
        BackendStatusOverride.status != "online")
    rank = func.row_number().over(partition_by=(jobs.backend, jobs.project_id, jobs.user_id),
                                  order_by=(jobs.session_id.is_(None), jobs.priority.desc(),
                                            jobs.created_at, jobs.id))
    inner = (select(jobs.id, jobs.backend, jobs.user_id, jobs.priority, jobs.created_at,
                    jobs.project_id, jobs.chip_seconds, jobs.session_id, rank.label("rank"))
             .where(jobs.status == JobStatus.QUEUED.value, jobs.backend.not_in(held),
                    jobs.backend.not_in(agent_served),
                    jobs.id.not_in(bindparam("reserved", expanding=True)))
             .subquery())
    return select(inner).where(inner.c.rank <= bindparam("free"))


def _reserved_statement() -> Any:
    """What a worker needs of the picked jobs that are still queued."""
    jobs = jobs_table.c
    return (select(jobs.id, jobs.user_id, jobs.attempts, jobs.qasm, jobs.backend,
                   jobs.shots, jobs.compile, jobs.seed, jobs.priority, jobs.calibration_pin)
            .where(jobs.id.in_(bindparam("ids", expanding=True)),
                   jobs.status == JobStatus.QUEUED.value))
