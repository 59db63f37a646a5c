"""The scheduler: picks queued jobs, runs them on the executor, records the outcome.

One thread per server. Its order, within each backend's queue: priority first
(higher first), then fair share between users (a user's k-th waiting job ranks
behind every other user's (k - running)-th), then arrival. Backends take turns.

The job's row is the truth: a job is claimed by a conditional UPDATE
(queued -> running, attempts + 1), and an outcome is written only if the row is
still `running` with the same attempt number, so a late answer from a worker that
was given up on, or a job cancelled meanwhile, changes nothing.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, select, text, update

from ...schemas import JobStatus
from ..core.config import Settings
from ..core.db import Database
from ..executor import ExecutorHandle, Task, is_worker_lost
from ..models import BackendStatusOverride, Job, utcnow
from . import execution
from .events import JobEvents
from .lease import Lease

logger = logging.getLogger(__name__)
jobs_table = Job.__table__


@dataclass
class _Flight:
    user_id: int
    backend: str
    attempt: int
    started: float
    future: Any = None
    stopped: bool = False  # failed by the run-time watchdog


PREFETCH_SECONDS = 0.02
"""Work (by recent run times) each worker may hold beyond its running job (`capacity`)."""
MAX_PREFETCH = 8


def _worker_seconds(result: dict[str, Any]) -> float | None:
    durations = result.get("durations")
    seconds = durations.get("worker") if isinstance(durations, dict) else None
    return float(seconds) if isinstance(seconds, int | float) else None


RUN_TIME_GRACE = 10.0
"""Seconds past twice the run-time limit after which the watchdog fails a job (twice:
a job handed to the executor may first wait for one ahead of it in the same worker)."""


@dataclass(frozen=True)
class _Outcome:
    job_id: str
    attempt: int
    result: dict[str, Any] | None = None
    error: str | None = None
    lost: bool = False
    charged: bool = True  # a lost job: whether the death counts as one of its attempts


class Scheduler:
    """Runs queued jobs from the store on an executor until stopped."""

    def __init__(self, db: Database, settings: Settings, executor: ExecutorHandle,
                 events: JobEvents | None = None) -> None:
        self.db = db
        self.settings = settings
        self.executor = executor
        self.events = events or JobEvents()
        self._in_flight: dict[str, _Flight] = {}
        self._outcomes: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="kuafu-scheduler", daemon=True)
        self._run_times: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=50))
        self._worker_times: deque[float] = deque(maxlen=50)  # every backend's
        self._turn = itertools.count()
        self.lease = Lease(db)
        # chips whose device agent fetches their jobs itself (docs/quafu.md)
        self._agent_served = list(execution.agent_systems().values())
        self._renewed = 0.0
        # built once: a pass runs them on every submission, and building costs more
        # than SQLite takes to answer them
        self._pick_statement = _pick_statement(self._agent_served)
        self._claim_statement = _claim_statement()

    # ----- life cycle ------------------------------------------------------------------
    def start(self) -> None:
        """Take the store's scheduling lease, requeue interrupted jobs, start the loop.

        Raises:
            LeaseHeld: another server schedules from the same store.
        """
        self.lease.acquire()
        self._renewed = time.monotonic()
        self.recover()
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
            with self.db.session() as session:
                n = session.execute(
                    update(Job).where(Job.id.in_(ids), Job.status == JobStatus.RUNNING)
                    .values(status=JobStatus.QUEUED, started_at=None,
                            attempts=Job.attempts - 1)).rowcount
            logger.info("stopping: %d running job(s) requeued", n)
        except Exception:  # they will be requeued on the next start anyway
            logger.warning("could not requeue running jobs at shut-down", exc_info=True)

    def wake(self) -> None:
        """Look at the queues now (called after a submission)."""
        self._wake.set()

    def recover(self) -> int:
        """Requeue jobs left `running` by a server that stopped; returns how many.

        Each such job already counted an attempt; one that has used them all is
        failed with the reason rather than retried forever.
        """
        limit = self.settings.max_attempts
        with self.db.session() as session:
            failed = session.execute(
                update(Job).where(Job.status == JobStatus.RUNNING, Job.attempts >= limit)
                .values(status=JobStatus.FAILED, finished_at=utcnow(),
                        error=f"the server stopped while the job ran, {limit} times")
            ).rowcount
            requeued = session.execute(
                update(Job).where(Job.status == JobStatus.RUNNING)
                .values(status=JobStatus.QUEUED, started_at=None)
            ).rowcount
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

    def in_flight_on(self, backend: str) -> int:
        return sum(1 for f in list(self._in_flight.values()) if f.backend == backend)

    def mean_run_time(self, backend: str) -> float:
        times = self._run_times.get(backend)
        return sum(times) / len(times) if times else 0.05

    def try_cancel(self, job_id: str) -> bool:
        """Stop a job the executor has not started yet; True if that worked."""
        flight = self._in_flight.get(job_id)
        return bool(flight and flight.future is not None and flight.future.cancel())

    # ----- the loop --------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            try:
                if not self._keep_lease():
                    return
                self._collect()
                self._enforce_run_time()
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

    def _on_done(self, job_id: str, attempt: int, future) -> None:
        if future.cancelled():
            outcome = _Outcome(job_id, attempt, error="cancelled before it started")
        elif (exc := future.exception()) is not None:
            if is_worker_lost(exc):
                # a pool breaks as a whole: charge only the job whose worker died
                charged = self.executor.died_running(job_id) is not False
                outcome = _Outcome(job_id, attempt, error=f"worker lost: {exc}", lost=True,
                                   charged=charged)
            else:
                outcome = _Outcome(job_id, attempt, error=f"{type(exc).__name__}: {exc}")
        else:
            outcome = _Outcome(job_id, attempt, result=future.result())
        self._outcomes.put(outcome)
        self._wake.set()

    def _collect(self) -> None:
        """Write the outcomes that arrived; if the store refuses (away, read-only),
        they are kept and written on a later pass, and their jobs keep their slots."""
        outcomes: list[_Outcome] = []
        while True:
            try:
                outcomes.append(self._outcomes.get_nowait())
            except queue.Empty:
                break
        if not outcomes:
            return
        try:
            ended = self._record(outcomes)
        except Exception:
            for o in outcomes:
                self._outcomes.put(o)
            raise
        for o in outcomes:
            flight = self._in_flight.get(o.job_id)
            if flight is not None and flight.attempt == o.attempt:
                del self._in_flight[o.job_id]
                if o.result is not None:
                    seconds = _worker_seconds(o.result)
                    if seconds is None:  # an executor that does not say: since dispatch
                        seconds = time.monotonic() - flight.started
                    self._run_times[flight.backend].append(seconds)
                    self._worker_times.append(max(seconds, 1e-6))
        if any(o.lost for o in outcomes):
            self.executor.rebuild_if_broken()
        self.events.notify([o.job_id for o in outcomes], ended={r.id: r for r in ended})

    def _record(self, outcomes: list[_Outcome]) -> list[Any]:
        """Write the outcomes; returns the rows of the jobs that ended (every column but
        the program), which long polls waiting on them answer with."""
        now = utcnow()
        rows = [self._outcome_row(o, now) for o in outcomes]
        finals = [r for r in rows if r["b_status"] != JobStatus.QUEUED.value]
        retries = [{"b_id": r["b_id"], "b_attempt": r["b_attempt"], "b_error": r["b_error"],
                    "b_refund": int(r.get("b_uncharged", False))}
                   for r in rows if r["b_status"] == JobStatus.QUEUED.value]
        ended = []
        with self.db.writing(), self.db.engine.begin() as conn:
            for row in finals:  # one by one: an UPDATE of many rows returns none
                if (written := conn.execute(_FINISH, row).first()) is not None:
                    ended.append(written)
            if retries:
                conn.execute(_REQUEUE, retries)
        return ended

    def _enforce_run_time(self) -> None:
        """The backstop of the workers' own run-time limit (`executor._time_limit`): a
        job in the executor long past the limit (a Dask worker thread, which no signal
        reaches, or a worker stuck in one C call) is failed with the reason, its future
        cancelled, and a local pool's processes killed."""
        limit = self.settings.max_run_seconds
        now = time.monotonic()
        stuck = [(job_id, flight) for job_id, flight in list(self._in_flight.items())
                 if not flight.stopped and now - flight.started > 2 * limit + RUN_TIME_GRACE]
        for job_id, flight in stuck:
            flight.stopped = True
            logger.error("job %s: %.0f s in the executor, over the run-time limit of %g s; "
                         "stopping it", job_id, now - flight.started, limit)
            self._outcomes.put(_Outcome(job_id, flight.attempt, error=(
                f"RunTimeExceeded: stopped by the scheduler after {now - flight.started:.0f} s"
                f", past the run-time limit of {limit:g} s")))
            if flight.future is not None:
                flight.future.cancel()
        if stuck:
            self.executor.stop_stuck()
            self._wake.set()

    def _outcome_row(self, o: _Outcome, now: datetime) -> dict[str, Any]:
        row = {"b_id": o.job_id, "b_attempt": o.attempt, "b_result": o.result,
               "b_error": o.error, "b_finished": now}
        if o.result is not None:
            row["b_status"] = JobStatus.DONE.value
        elif o.lost and not o.charged:
            row.update(b_status=JobStatus.QUEUED.value, b_uncharged=True,
                       b_error="requeued: another job's worker died in the same pool")
        elif o.lost and o.attempt < self.settings.max_attempts:
            row.update(b_status=JobStatus.QUEUED.value,
                       b_error=f"{o.error} (attempt {o.attempt} of "
                               f"{self.settings.max_attempts}); requeued")
            logger.warning("job %s: %s; requeued", o.job_id, o.error)
        elif o.lost:
            row.update(b_status=JobStatus.FAILED.value,
                       b_error=f"the worker process died on each of {o.attempt} attempts "
                               f"(last: {o.error})")
        else:
            row["b_status"] = JobStatus.FAILED.value
        return row

    def _dispatch(self) -> None:
        free = self.capacity - len(self._in_flight)
        if free <= 0:
            return
        picked = self._pick(free)
        if not picked:
            return
        tasks = self._claim(picked)
        for task, user_id in tasks:
            flight = _Flight(user_id, task.backend, task.attempt, time.monotonic())
            self._in_flight[task.job_id] = flight
            try:
                future = self.executor.submit(task)
            except Exception as exc:  # the job is claimed: it must not stay `running`
                logger.exception("could not hand job %s to the executor", task.job_id)
                self._outcomes.put(_Outcome(task.job_id, task.attempt, lost=True,
                                            error=f"executor refused the job: {exc}"))
                self._wake.set()
                continue
            flight.future = future
            future.add_done_callback(
                lambda f, j=task.job_id, a=task.attempt: self._on_done(j, a, f))

    def _pick(self, free: int) -> list[str]:
        """Ids of up to `free` jobs to run next, in scheduling order."""
        running = Counter(f.user_id for f in list(self._in_flight.values()))
        with self.db.engine.connect() as conn:
            rows = conn.execute(self._pick_statement, {"free": free}).all()
        queues: dict[str, list[Any]] = defaultdict(list)
        for row in rows:
            queues[row.backend].append(row)
        for rows_of in queues.values():
            rows_of.sort(key=lambda r: (-r.priority, running[r.user_id] + r.rank,
                                        r.created_at, r.id))
        order = sorted(queues)
        if order:
            shift = next(self._turn) % len(order)
            order = order[shift:] + order[:shift]
        picked: list[str] = []
        iters = [iter(queues[b]) for b in order]
        while iters and len(picked) < free:
            for it in list(iters):
                row = next(it, None)
                if row is None:
                    iters.remove(it)
                elif len(picked) < free:
                    picked.append(row.id)
        return picked

    def _claim(self, ids: list[str]) -> list[tuple[Task, int]]:
        with self.db.writing(), self.db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # a claim lost in a crash of PostgreSQL leaves its job queued, and the
                # job runs again (its outcome finds no running row): no need to wait for
                # the disk, which costs a pass ~3.5 ms here
                conn.execute(_CLAIM_WITHOUT_FLUSH)
            claimed = conn.execute(self._claim_statement, {"ids": ids, "now": utcnow()}).all()
        by_id = {row.id: row for row in claimed}
        delay = self.settings.worker_delay
        limit = self.settings.max_run_seconds
        return [(Task(r.id, r.attempts, r.qasm, r.backend, r.shots, r.compile, r.seed, delay,
                      r.priority, limit), r.user_id)
                for i in ids if (r := by_id.get(i)) is not None]


_CLAIM_WITHOUT_FLUSH = text("SET LOCAL synchronous_commit TO OFF")

_STILL_RUNNING = and_(jobs_table.c.id == bindparam("b_id"),
                      jobs_table.c.status == JobStatus.RUNNING.value,
                      jobs_table.c.attempts == bindparam("b_attempt"))
_FINISH = (update(jobs_table).where(_STILL_RUNNING)
           .values(status=bindparam("b_status"), result=bindparam("b_result"),
                   error=bindparam("b_error"), finished_at=bindparam("b_finished"))
           .returning(*(c.label("group") if c.name == "job_group" else c
                        for c in jobs_table.c if c.name != "qasm")))
"""An outcome, written only if the job still runs that attempt; returns the row as a
`Job` reads (`group`), so `jobs.to_public` can answer with it."""
_REQUEUE = (update(jobs_table).where(_STILL_RUNNING)
            .values(status=JobStatus.QUEUED.value, error=bindparam("b_error"),
                    started_at=None, attempts=jobs_table.c.attempts - bindparam("b_refund")))


def _pick_statement(agent_served: list[str]) -> Any:
    """Each user's first `free` queued jobs per backend, in their own order (priority,
    then arrival), with that rank; held backends and agent-served ones left out."""
    jobs = jobs_table.c
    held = select(BackendStatusOverride.backend).where(  # maintenance or offline
        BackendStatusOverride.status != "online")
    rank = func.row_number().over(partition_by=(jobs.backend, jobs.user_id),
                                  order_by=(jobs.priority.desc(), jobs.created_at, jobs.id))
    inner = (select(jobs.id, jobs.backend, jobs.user_id, jobs.priority, jobs.created_at,
                    rank.label("rank"))
             .where(jobs.status == JobStatus.QUEUED.value, jobs.backend.not_in(held),
                    jobs.backend.not_in(agent_served))
             .subquery())
    return select(inner).where(inner.c.rank <= bindparam("free"))


def _claim_statement() -> Any:
    """queued -> running for the ids still queued, counting the attempt."""
    jobs = jobs_table.c
    return (update(jobs_table)
            .where(jobs.id.in_(bindparam("ids", expanding=True)),
                   jobs.status == JobStatus.QUEUED.value)
            .values(status=JobStatus.RUNNING.value, started_at=bindparam("now"),
                    attempts=jobs.attempts + 1)
            .returning(jobs.id, jobs.user_id, jobs.attempts, jobs.qasm, jobs.backend,
                       jobs.shots, jobs.compile, jobs.seed, jobs.priority))
