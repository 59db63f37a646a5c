"""A job's life in the store: every change of a job's status is written here.

    queued --claim--> running --finish--> done
       |                 |----fail-----> failed
       |                 |----requeue--> queued   (its worker was lost; attempts left)
       |                 '----cancel---> cancelled
       '-------cancel------------------> cancelled
    (cancel_owned: every queued or running job of one user, when the account is disabled)

plus, when a server stops or starts, `requeue_running` (a clean stop: the attempt is
not counted) and `recover` (after a crash: running jobs go back to the queue, or fail
once they have used every attempt).

The job's row is the truth, and every transition is one conditional UPDATE: it
changes the row only if the row is still in the state the transition starts from
(and, for the end of a run, still the same attempt), so two actors racing on one job
(a worker's answer and a cancel, two device agents, a late answer from a worker given
up on) cannot both win. The callers are the jobs service (queue, cancel), the
scheduler (claim, record, requeue_running, recover) and the device-agent routes
(claim_next, record).

Each function runs its statements in the caller's transaction (a `Session` or a
`Connection`: both run Core statements) and commits nothing: the service that owns
the transaction commits it, so that a transition can be written together with other
changes (a submission's usage count, the scheduler's batch of claims and outcomes).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, func, insert, select, text, update

from ...schemas import JobStatus
from ..models import Job, utcnow

__all__ = ["Outcome", "cancel", "cancel_owned", "claim", "claim_next", "queue", "record",
           "recover", "requeue_running"]

logger = logging.getLogger(__name__)
jobs_table = Job.__table__


class Executes(Protocol):
    """A `Session` or a `Connection`: what runs the statements of a transition."""

    def execute(self, statement: Any, parameters: Any = None, /) -> Any: ...


@dataclass(frozen=True)
class Outcome:
    """How one attempt of a running job ended: a result, or an error; `lost` when its
    worker died (the job is requeued while it has attempts left)."""

    job_id: str
    attempt: int
    result: dict[str, Any] | None = None
    error: str | None = None
    lost: bool = False


# ----- queued ----------------------------------------------------------------------------

def queue(db: Executes, rows: Sequence[dict[str, Any]]) -> None:
    """Store new jobs (column -> value, an `id` each) as `queued`, no attempt made."""
    db.execute(_INSERT, [{**row, "status": JobStatus.QUEUED.value, "attempts": 0}
                         for row in rows])


_INSERT = insert(jobs_table)
"""Core, not the ORM's unit of work: a submission never needs the Job objects."""


# ----- queued -> running -----------------------------------------------------------------

def claim(db: Executes, ids: Iterable[str], now: datetime | None = None, *,
          durable: bool = True) -> set[str]:
    """queued -> running for the jobs of `ids` still queued, counting the attempt;
    returns the ids claimed (a job cancelled meanwhile is not).

    `durable=False` lets PostgreSQL answer before the claim reaches the disk: a claim
    lost in a crash leaves its job queued, and the job runs again (its outcome finds no
    running row), so a transaction that writes only claims need not wait for the disk
    (which costs a scheduler pass ~3.5 ms). Only for a transaction of its own.
    """
    ids = list(ids)
    if not ids:
        return set()
    if not durable and _dialect(db) == "postgresql":
        db.execute(_WITHOUT_FLUSH)
    return set(db.execute(_CLAIM, {"ids": ids, "now": now or utcnow()}).scalars())


_WITHOUT_FLUSH = text("SET LOCAL synchronous_commit TO OFF")
_CLAIM = (update(jobs_table)
          .where(jobs_table.c.id.in_(bindparam("ids", expanding=True)),
                 jobs_table.c.status == JobStatus.QUEUED.value)
          .values(status=JobStatus.RUNNING.value, started_at=bindparam("now"),
                  attempts=jobs_table.c.attempts + 1)
          .returning(jobs_table.c.id))


def claim_next(db: Executes, backend: str, tries: int = 5) -> str | None:
    """Claim the first queued job of `backend` (priority, then arrival) for a device
    agent, fixing its seed now (the result is reported with the same compiled circuit);
    returns its id, or None when the queue is empty (or other agents keep winning)."""
    for _ in range(tries):  # another agent may claim the same job first
        job_id = db.execute(
            select(Job.id).where(Job.backend == backend, Job.status == JobStatus.QUEUED)
            .order_by(Job.priority.desc(), Job.created_at, Job.id).limit(1)).scalar()
        if job_id is None:
            return None
        claimed = db.execute(
            update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.RUNNING, started_at=utcnow(),
                    attempts=Job.attempts + 1,
                    seed=func.coalesce(Job.seed, random.randrange(2**31 - 1)))
            .execution_options(synchronize_session=False)).rowcount
        if claimed:
            return job_id
    return None


# ----- running -> done, failed, queued ---------------------------------------------------

def record(db: Executes, outcomes: Iterable[Outcome], max_attempts: int,
           now: datetime | None = None) -> list[Any]:
    """Write how attempts ended: done with the result, failed with the error, or back
    to the queue (a lost worker, attempts left); each only if the job still runs that
    attempt. Returns the rows of the jobs that ended (every column but the program, the
    `job_group` column as `group`, as a `Job` reads), which long polls answer with."""
    now = now or utcnow()
    finals, retries = [], []
    for outcome in outcomes:
        status, error = _decide(outcome, max_attempts)
        row = {"b_id": outcome.job_id, "b_attempt": outcome.attempt, "b_error": error}
        if status is JobStatus.QUEUED:
            retries.append(row)
        else:
            finals.append({**row, "b_status": status.value, "b_result": outcome.result,
                           "b_finished": now})
    ended = []
    for row in finals:  # one by one: an UPDATE of many rows returns none
        if (written := db.execute(_FINISH, row).first()) is not None:
            ended.append(written)
    if retries:
        db.execute(_REQUEUE, retries)
    return ended


def _decide(o: Outcome, max_attempts: int) -> tuple[JobStatus, str | None]:
    """The status an outcome leads to, and the error recorded with it."""
    if o.result is not None:
        return JobStatus.DONE, o.error
    if o.lost and o.attempt < max_attempts:
        logger.warning("job %s: %s; requeued", o.job_id, o.error)
        return JobStatus.QUEUED, f"{o.error} (attempt {o.attempt} of {max_attempts}); requeued"
    if o.lost:
        return JobStatus.FAILED, (f"the worker process died on each of {o.attempt} "
                                  f"attempts (last: {o.error})")
    return JobStatus.FAILED, o.error


_STILL_RUNNING = and_(jobs_table.c.id == bindparam("b_id"),
                      jobs_table.c.status == JobStatus.RUNNING.value,
                      jobs_table.c.attempts == bindparam("b_attempt"))
_FINISH = (update(jobs_table).where(_STILL_RUNNING)
           .values(status=bindparam("b_status"), result=bindparam("b_result"),
                   error=bindparam("b_error"), finished_at=bindparam("b_finished"))
           .returning(*(c.label("group") if c.name == "job_group" else c
                        for c in jobs_table.c if c.name != "qasm")))
_REQUEUE = (update(jobs_table).where(_STILL_RUNNING)
            .values(status=JobStatus.QUEUED.value, error=bindparam("b_error"),
                    started_at=None))


# ----- queued or running -> cancelled ----------------------------------------------------

def cancel(db: Executes, job_id: str, status: JobStatus, reason: str,
           now: datetime | None = None) -> bool:
    """queued or running -> cancelled with `reason`, if the job is still in `status`
    (the one its canceller saw); returns whether it changed."""
    return bool(db.execute(
        update(Job).where(Job.id == job_id, Job.status == status.value)
        .values(status=JobStatus.CANCELLED, finished_at=now or utcnow(), error=reason)
        .execution_options(synchronize_session=False)).rowcount)


def cancel_owned(db: Executes, user_id: int, reason: str,
                 now: datetime | None = None) -> dict[str, list[str]]:
    """queued or running -> cancelled for every unfinished job of user `user_id` (their
    account was disabled), the error saying `reason` and whether the job had started.
    Returns the ids cancelled by the status they left ("running": workers to stop)."""
    now = now or utcnow()
    cancelled = {}
    # queued first: a job claimed between the two statements is caught by the second
    for status, when in ((JobStatus.QUEUED, "before it started"),
                         (JobStatus.RUNNING, "while running")):
        cancelled[status.value] = list(db.execute(
            update(jobs_table)
            .where(jobs_table.c.user_id == user_id, jobs_table.c.status == status.value)
            .values(status=JobStatus.CANCELLED.value, finished_at=now,
                    error=f"{reason}: cancelled {when}")
            .returning(jobs_table.c.id)).scalars())
    return cancelled


# ----- when a server stops or starts -----------------------------------------------------

def requeue_running(db: Executes, ids: Iterable[str]) -> int:
    """running -> queued for `ids` at a clean stop, the attempt not counted; returns
    how many."""
    ids = list(ids)
    if not ids:
        return 0
    return db.execute(
        update(Job).where(Job.id.in_(ids), Job.status == JobStatus.RUNNING)
        .values(status=JobStatus.QUEUED, started_at=None, attempts=Job.attempts - 1)
        .execution_options(synchronize_session=False)).rowcount


def recover(db: Executes, max_attempts: int) -> tuple[int, int]:
    """Requeue the jobs left `running` by a server that stopped; returns (requeued,
    failed). Each such job already counted an attempt; one that has used them all is
    failed with the reason rather than retried forever."""
    failed = db.execute(
        update(Job).where(Job.status == JobStatus.RUNNING, Job.attempts >= max_attempts)
        .values(status=JobStatus.FAILED, finished_at=utcnow(),
                error=f"the server stopped while the job ran, {max_attempts} times")
        .execution_options(synchronize_session=False)).rowcount
    requeued = db.execute(
        update(Job).where(Job.status == JobStatus.RUNNING)
        .values(status=JobStatus.QUEUED, started_at=None)
        .execution_options(synchronize_session=False)).rowcount
    return requeued, failed


def _dialect(db: Executes) -> str:
    bind = db.get_bind() if hasattr(db, "get_bind") else db  # a Session, or a Connection
    return bind.dialect.name
