"""Jobs as the API sees them: submit, read, list, cancel (each status change is
written by `lifecycle`).

Every function takes the session of the request and acts only on the caller's jobs:
another user's job is `NotFound`, exactly like a job that does not exist.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import heapq
import threading
import uuid
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...schemas import (
    CancelResponse,
    JobCreate,
    JobCreated,
    JobList,
    JobPublic,
    JobResult,
    JobStatus,
    JobStatusItem,
)
from ..errors import Conflict, InvalidRequest, NotFound, PayloadTooLarge, QuotaExceeded
from ..models import BackendStatusOverride, DailyUsage, Job, User, utcnow
from . import (
    catalog,
    charges,
    chip_sessions,
    execution,
    jobdata,
    lifecycle,
    projects,
    reservations,
)
from .platform import Platform

BIG_PROGRAM_BYTES = 64_000
"""Programs larger than this are parsed a few at a time (`_BIG_PROGRAMS`)."""

_BIG_PROGRAMS = threading.BoundedSemaphore(2)
"""Parsing a program of 1 MB holds ~80 MB for a second or more, and the request threads
(40) would otherwise parse that many at once under a flood; parsing is CPU-bound under
the GIL, so two at a time lose no throughput and bound the memory."""


def submit(platform: Platform, session: Session, user: User, body: JobCreate,
           idempotency_key: str | None = None) -> tuple[list[str], bool]:
    """Validate and store one job or a batch, committed; returns (ids, replayed).

    Raises:
        InvalidRequest, PayloadTooLarge, NotFound, Conflict, QuotaExceeded: the job is
            refused as a whole and nothing is stored.
    """
    created = submit_job(platform, session, user, body, idempotency_key)
    return created.ids, created.replayed


def submit_job(platform: Platform, session: Session, user: User, body: JobCreate,
               idempotency_key: str | None = None,
               extra: dict[str, Any] | None = None) -> JobCreated:
    """`submit`, answering with the ids, whether they were replayed, and the `notice`
    of a chip in maintenance (the jobs are accepted and wait in its queue).

    Raises:
        InvalidRequest, PayloadTooLarge, NotFound, Conflict, QuotaExceeded: as `submit`.
    """
    programs = [body.qasm] if isinstance(body.qasm, str) else list(body.qasm)
    keys = _keys(idempotency_key, body, len(programs))
    # the session a job runs in does not change what it computes: a replay may differ in it
    request_hash = hashlib.sha256(
        body.model_dump_json(exclude={"session"}).encode()).hexdigest()
    if keys and (replay := _replay(session, user, keys, request_hash)) is not None:
        return JobCreated(ids=replay, replayed=True,
                          notice=submission_notice(session, body.backend))
    queued, used, override = session.execute(_PRECHECK, {
        "user_id": user.id, "day": utcnow().date(), "backend": body.backend}).one()
    _check_limits(platform, body, programs, queued, used)
    status = catalog.effective_status(body.backend, override)
    notice = None
    if status != "online":
        info = catalog.status_info(session, body.backend)
        if status == "offline":
            raise Conflict(f"{info.describe()} and takes no jobs; choose another backend "
                           "(`kuafu backends` lists them)", code="backend_offline")
        notice = info.waiting_notice()
    seconds = []  # each job's charge in emulated chip-seconds (issue 17)
    for index, text in enumerate(programs):
        try:
            with _BIG_PROGRAMS if len(text) > BIG_PROGRAM_BYTES else nullcontext():
                circuit = execution.validate(text, body.backend, body.compile,
                                             platform.settings.max_operations,
                                             platform.settings.max_memory_bytes,
                                             shots=body.shots)
        except InvalidRequest as exc:
            if len(programs) > 1:
                exc.message = f"program #{index + 1} of {len(programs)}: {exc.message}"
            raise
        seconds.append(charges.chip_seconds(circuit, body.backend, body.shots))
    project = body.project
    in_session = None
    if body.session is not None:  # a chip session's jobs go to its project (issue 17)
        in_session = chip_sessions.for_submission(session, user, body.session, body.backend,
                                                  body.project)
        project = projects.name_of(session, in_session.project_id)
    charge = projects.charge(session, user, project, body.backend, body.shots, seconds)
    if notice is None and (held := reservations.blocking(session, body.backend,
                                                         charge.project.id)) is not None:
        notice = reservations.notice(held)
    now = utcnow()
    rows = [{"id": uuid.uuid4().hex, "user_id": user.id, "backend": body.backend,
             "qasm": text, "shots": body.shots, "compile": body.compile,
             "priority": body.priority, "seed": body.seed, "name": body.name,
             "job_group": body.group,
             "idempotency_key": keys[i] if keys else None, "request_hash": request_hash,
             "created_at": now + timedelta(microseconds=i),
             "project_id": charge.project.id, "chip_seconds": seconds[i],
             "session_id": in_session.id if in_session is not None else None,
             "tags": list(dict.fromkeys(body.tags)) or None, "meta": body.meta,
             **(extra or {})}  # job data (issue 18): tags, metadata, a replay's pin
            for i, text in enumerate(programs)]
    # what the session wrote before (a token's last use) is committed first: a
    # transaction holding the store's write lock must not queue for `writing`
    session.commit()
    try:
        with platform.db.writing():
            projects.recheck(session, charge, body.backend)  # what committed meanwhile
            lifecycle.queue(session, rows)
            jobdata.add_tags(session, rows)
            count_shots(session, user.id, now.date(), body.shots * len(programs))
            session.commit()
    except IntegrityError:  # the same key raced in from a concurrent request
        session.rollback()
        replay = _replay(session, user, keys, request_hash)
        if replay is None:
            raise
        return JobCreated(ids=replay, replayed=True, notice=notice)
    return JobCreated(ids=[row["id"] for row in rows], replayed=False, notice=notice)


def _keys(key: str | None, body: JobCreate, n: int) -> list[str]:
    if not key:
        return []
    if len(key) > 200:
        raise InvalidRequest("Idempotency-Key is longer than 200 characters")
    return [key] if isinstance(body.qasm, str) else [f"{key}#{i}" for i in range(n)]


def _replay(session: Session, user: User, keys: list[str],
            request_hash: str) -> list[str] | None:
    rows = session.execute(select(Job.idempotency_key, Job.id, Job.request_hash).where(
        Job.user_id == user.id, Job.idempotency_key.in_(keys))).all()
    if not rows:
        return None
    if any(r.request_hash != request_hash for r in rows) or len(rows) != len(keys):
        raise Conflict("this Idempotency-Key was used for a different request")
    by_key = {r.idempotency_key: r.id for r in rows}
    return [by_key[k] for k in keys]


_PRECHECK = select(  # one round trip for both quotas and the backend's status, built once
    select(func.count()).where(Job.user_id == bindparam("user_id"),
                               Job.status == JobStatus.QUEUED).scalar_subquery(),
    func.coalesce(select(DailyUsage.shots).where(
        DailyUsage.user_id == bindparam("user_id"),
        DailyUsage.day == bindparam("day")).scalar_subquery(), 0),
    select(BackendStatusOverride.status).where(
        BackendStatusOverride.backend == bindparam("backend")).scalar_subquery(),
)


def count_shots(session: Session, user_id: int, day: date, shots: int) -> None:
    """Add `shots` to the user's usage of `day` (an upsert, in the caller's transaction)."""
    session.execute(_count_shots_statement(session.get_bind().dialect.name),
                    {"user_id": user_id, "day": day, "shots": shots})


@functools.cache
def _count_shots_statement(dialect: str) -> Any:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(DailyUsage).values(user_id=bindparam("user_id"), day=bindparam("day"),
                                          shots=bindparam("shots"))
    return statement.on_conflict_do_update(
        index_elements=["user_id", "day"],
        set_={"shots": DailyUsage.shots + statement.excluded.shots})


def _check_limits(platform: Platform, body: JobCreate, programs: list[str], queued: int,
                  used: int) -> None:
    s = platform.settings
    if not programs:
        raise InvalidRequest("the batch holds no program")
    if len(programs) > s.max_batch:
        raise InvalidRequest(f"a batch may hold {s.max_batch} programs; this one has "
                             f"{len(programs)}")
    for index, text in enumerate(programs):
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > s.max_qasm_bytes:
            which = f"program #{index + 1}" if len(programs) > 1 else "the program"
            raise PayloadTooLarge(f"{which} is {size} bytes; the limit is "
                                  f"{s.max_qasm_bytes} bytes (max_qasm_bytes)")
    if body.shots > s.max_shots:
        raise InvalidRequest(f"shots must be at most {s.max_shots}; asked {body.shots}")
    if queued + len(programs) > s.max_queued_per_user:
        raise QuotaExceeded(f"you have {queued} jobs queued; the limit is "
                            f"{s.max_queued_per_user}")
    if used + body.shots * len(programs) > s.max_shots_per_day:
        raise QuotaExceeded(f"you have used {used} of {s.max_shots_per_day} shots today "
                            f"(UTC); this submission needs {body.shots * len(programs)}")


def submission_notice(session: Session, backend: str) -> str | None:
    """What a submitter to `backend` should know now: that it is in maintenance (or
    offline), why, and that the jobs will wait; None when it is online."""
    return catalog.status_info(session, backend).waiting_notice()


def get_job(session: Session, user: User, job_id: str) -> Job:
    job = session.get(Job, job_id) if len(job_id) <= 32 else None
    if job is None or job.user_id != user.id or job.deleted_at is not None:
        raise NotFound(f"no job {job_id!r}")
    return job


def to_public(platform: Platform, session: Session | None, job: Any,
              include_qasm: bool = False, queues: Queues | None = None) -> JobPublic:
    """The wire form of a job (a `Job`, or a row with its attributes), with queue
    position, estimated start and why it waits when queued (which needs the session;
    `queues` shares one look at the queues among the jobs of a page)."""
    position = estimated = notice = None
    if job.status == JobStatus.QUEUED and session is not None:
        queues = queues or Queues(session)
        position = queue_position(session, job)
        estimated = estimate_start(platform, queues, job.backend, position)
        notice = queues.status(job.backend).waiting_notice()
        if notice is None and (held := reservations.blocking(
                session, job.backend, getattr(job, "project_id", None), queues.now)):
            notice = reservations.notice(held)  # it waits for the reservation's end
            if estimated is not None and estimated < held[0].ends_at:
                estimated = held[0].ends_at
    return JobPublic(
        id=job.id, status=JobStatus(job.status), backend=job.backend, shots=job.shots,
        compile=job.compile, priority=job.priority, name=job.name, group=job.group,
        group_seq=getattr(job, "group_seq", None), created_at=job.created_at,
        started_at=job.started_at, finished_at=job.finished_at,
        attempts=job.attempts, queue_position=position, estimated_start=estimated,
        project=projects.name_of(session, getattr(job, "project_id", None)),
        notice=notice, error=job.error, qasm=job.qasm if include_qasm else None,
        result=JobResult.model_validate(job.result) if job.result else None,
        tags=getattr(job, "tags", None) or [], meta=getattr(job, "meta", None),
        replay_of=getattr(job, "replay_of", None),
        payload_removed_at=getattr(job, "payload_removed_at", None))


def queue_position(session: Session, job: Job) -> int:
    """How many queued jobs on the same backend come first by priority and arrival."""
    ahead = or_(Job.priority > job.priority,
                and_(Job.priority == job.priority,
                     or_(Job.created_at < job.created_at,
                         and_(Job.created_at == job.created_at, Job.id < job.id))))
    return session.scalar(select(func.count()).select_from(Job).where(
        Job.backend == job.backend, Job.status == JobStatus.QUEUED, ahead)) or 0


class Queues:
    """One look at what the estimated starts depend on, read when first needed: the
    running jobs, the queue lengths, each backend's status."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.now = utcnow()
        self._running: list[tuple[str, datetime | None]] | None = None
        self._queued: dict[str, int] | None = None
        self._status: dict[str, catalog.StatusInfo] = {}

    def status(self, backend: str) -> catalog.StatusInfo:
        if backend not in self._status:
            self._status[backend] = catalog.status_info(self.session, backend)
        return self._status[backend]

    @property
    def running(self) -> list[tuple[str, datetime | None]]:
        """(backend, started_at) of each running job."""
        if self._running is None:
            self._running = [(r.backend, r.started_at) for r in self.session.execute(
                select(Job.backend, Job.started_at).where(Job.status == JobStatus.RUNNING))]
        return self._running

    @property
    def queued(self) -> dict[str, int]:
        """Queued jobs of each backend whose queue moves (held backends left out)."""
        if self._queued is None:
            held = select(BackendStatusOverride.backend).where(
                BackendStatusOverride.status != "online")
            rows = self.session.execute(select(Job.backend, func.count()).where(
                Job.status == JobStatus.QUEUED, Job.backend.not_in(held))
                .group_by(Job.backend)).all()
            self._queued = {name: count for name, count in rows}
        return self._queued


EXACT_ESTIMATE_JOBS = 2000
"""Jobs ahead placed one by one on the workers by `estimate_start`; those beyond are
counted as their total run time spread over the workers."""


def estimate_start(platform: Platform, queues: Queues, backend: str,
                   position: int) -> datetime | None:
    """When a job with `position` queued jobs ahead of it on `backend` should start.

    The jobs running now (the store's `running` rows) keep their workers for what is
    left of their expected run time (the scheduler's mean of recent runs on their
    backend; one past it is expected to run as long again as it has, within the
    run-time limit); the jobs ahead, and as many jobs of each other backend's queue
    (backends take turns), then go to whichever worker frees first. A backend in
    maintenance starts nothing before its announced end (`until`); with no end given
    the start is unknown: None (the job's `notice` says why).
    """
    info = queues.status(backend)
    now = queues.now
    if info.held and info.until is None:
        return None
    opens = max(now, info.until) if info.held and info.until is not None else now
    shift = (opens - now).total_seconds()  # work the workers do before the chip opens
    scheduler = platform.scheduler
    agents = set(execution.agent_systems().values())
    own_pool = backend not in agents  # a device agent runs its chip's jobs one at a time
    workers = max(1, scheduler.executor.workers) if own_pool else 1
    limit = platform.settings.max_run_seconds
    busy = []  # seconds from `opens` until each running job frees its worker
    for run_on, started in queues.running:
        if (run_on not in agents) if own_pool else run_on == backend:
            elapsed = max(0.0, (now - started).total_seconds()) if started else 0.0
            expected = scheduler.mean_run_time(run_on)
            left = expected - elapsed if elapsed < expected else min(elapsed, limit - elapsed)
            busy.append(max(0.0, left - shift))
    ahead = [scheduler.mean_run_time(backend)] * position
    if own_pool:
        for other, queued in queues.queued.items():
            if other != backend and other not in agents:
                ahead += [scheduler.mean_run_time(other)] * min(queued, position)
    return opens + timedelta(seconds=_first_free(sorted(busy), ahead, workers))


def _first_free(busy: list[float], ahead: list[float], workers: int) -> float:
    """Seconds until a worker is free for the next job, after `ahead` jobs (their run
    times) go in order to the first free of `workers` workers busy for `busy` seconds
    (sorted; more busy jobs than workers queue behind the first ones)."""
    slots = [0.0] * workers
    for seconds in busy + ahead[:EXACT_ESTIMATE_JOBS]:
        heapq.heappush(slots, heapq.heappop(slots) + seconds)
    rest = sum(ahead[EXACT_ESTIMATE_JOBS:]) / workers
    return slots[0] + rest


def list_jobs(platform: Platform, session: Session, user: User, *, status: JobStatus | None,
              backend: str | None, group: str | None, name: str | None, limit: int,
              cursor: str | None, tag: str | None = None, since: datetime | None = None,
              until: datetime | None = None) -> JobList:
    """The caller's jobs, newest first, filtered, one page at a time (deleted ones left
    out; `tag`, `since` and `until`, on the creation time, are issue 18's filters)."""
    stmt = jobdata.filtered(select(Job).where(Job.user_id == user.id), tag=tag, since=since,
                            until=until)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    if backend is not None:
        stmt = stmt.where(Job.backend == backend)
    if group is not None:
        stmt = stmt.where(Job.group == group)
    if name is not None:
        stmt = stmt.where(Job.name == name)
    if cursor:
        created, last_id = _decode_cursor(cursor)
        stmt = stmt.where(or_(Job.created_at < created,
                              and_(Job.created_at == created, Job.id < last_id)))
    rows = list(session.scalars(
        stmt.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    queues = Queues(session)
    items = [to_public(platform, session, job, queues=queues) for job in rows]
    next_cursor = _encode_cursor(rows[-1]) if more and rows else None
    return JobList(items=items, next_cursor=next_cursor)


def _encode_cursor(job: Job) -> str:
    raw = f"{job.created_at.isoformat()}|{job.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, job_id = raw.split("|", 1)
        return datetime.fromisoformat(created), job_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidRequest("invalid cursor; pass the next_cursor of a previous page") from None


def statuses(platform: Platform, session: Session, user: User,
             ids: list[str]) -> list[JobStatusItem]:
    """Status of many jobs in one call; ids that are not the caller's are left out."""
    wanted = [i for i in ids if len(i) <= 32]
    rows = {j.id: j for j in session.scalars(
        select(Job).where(Job.id.in_(wanted), Job.user_id == user.id))}
    out = []
    for job_id in ids:
        job = rows.get(job_id)
        if job is None:
            continue
        position = queue_position(session, job) if job.status == JobStatus.QUEUED else None
        out.append(JobStatusItem(id=job.id, status=JobStatus(job.status),
                                 queue_position=position, error=job.error))
    return out


def cancel(platform: Platform, session: Session, user: User, job_id: str) -> CancelResponse:
    """Cancel a queued or running job, saying whether it had started.

    The row changes first (committed); then the scheduler takes the job back from the
    executor: a running job's worker is stopped (a local one is killed and replaced),
    so its slot goes to the next job, and nothing is written for it, as its row is no
    longer running.
    """
    job = get_job(session, user, job_id)
    status = JobStatus(job.status)
    if status.final:
        return CancelResponse(id=job.id, status=status, cancelled=False,
                              started=job.started_at is not None,
                              message=f"the job is already {status}; nothing to cancel")
    # a worker may have started it a moment before the scheduler claims it
    started = status == JobStatus.RUNNING or platform.scheduler.started(job.id)
    reason = "cancelled by the user" + (" while running" if started else " before it started")
    with platform.db.writing():
        changed = lifecycle.cancel(session, job.id, status, reason)
        if changed:
            session.commit()
    if not changed:  # it moved on meanwhile (started, or finished): look again
        session.expire(job)
        return cancel(platform, session, user, job_id)
    platform.scheduler.stop_job(job.id)
    return CancelResponse(
        id=job.id, status=JobStatus.CANCELLED, cancelled=True, started=started,
        message="cancelled while running; its computation was stopped" if started
        else "cancelled before it started")
