"""The scheduler's choice of the next jobs, once the store has named the candidates.

On each backend, in this order:
1. a reservation in force gives the chip to its project alone: other projects' jobs
   are not candidates until it ends (they wait with the reason: `reservations`);
2. jobs of an open chip session run ahead of the general queue (oldest session first,
   then the session's own order);
3. the general queue, across projects by fair share (`fairshare.FairShare.order`),
   inside a project by the job's priority, then between its members as before (a
   member's k-th waiting job ranks behind every other member's (k - running)-th),
   then by arrival.
Backends take turns, and every job handed out is charged to its project's fair share
at once, so the next pick (on any backend) sees it.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from ..models import ChipSession, Job, Reservation, utcnow
from .fairshare import FairShare

RULES_TTL = 1.0
"""Seconds the scheduler keeps its look at sessions and reservations (sooner when one
changes: `Rules.changed`)."""


@dataclass
class Rules:
    """What sessions and reservations say now: the reserved backends (backend ->
    project id) and the open sessions (id -> opening time)."""

    reserved: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, datetime] = field(default_factory=dict)
    loaded: float = -1.0

    def stale(self, now: float) -> bool:
        return now - self.loaded > RULES_TTL

    def changed(self) -> None:
        self.loaded = -1.0


def load_rules(conn: Any, rules: Rules, fair: FairShare) -> list[tuple[str, str]]:
    """Read what is in force now into `rules` (and the projects' shares into `fair`);
    returns the open sessions due to end, with why (`close_sessions` ends them)."""
    now = utcnow()
    fair.refresh_shares(conn)
    reserved = {r.backend: r.project_id for r in conn.execute(
        select(Reservation.backend, Reservation.project_id)
        .where(Reservation.starts_at <= now, Reservation.ends_at > now)
        .order_by(Reservation.starts_at))}
    open_ = conn.execute(select(ChipSession.id, ChipSession.created_at,
                                ChipSession.last_activity_at, ChipSession.max_seconds,
                                ChipSession.idle_seconds)
                         .where(ChipSession.status == "open")).all()
    due = []
    for s in open_:
        if (now - s.created_at).total_seconds() >= s.max_seconds:
            due.append((s.id, "maximum length reached"))
        elif (now - s.last_activity_at).total_seconds() >= s.idle_seconds:
            busy = conn.execute(select(Job.id).where(
                Job.session_id == s.id, Job.status.in_(("queued", "running"))).limit(1)).first()
            if busy is None:
                due.append((s.id, "idle timeout"))
    ending = {sid for sid, _ in due}
    rules.reserved = reserved
    rules.sessions = {s.id: s.created_at for s in open_ if s.id not in ending}
    rules.loaded = time.monotonic()
    return due


def close_sessions(conn: Any, due: list[tuple[str, str]], now: datetime) -> int:
    """End the sessions `load_rules` found due (those still open)."""
    closed = 0
    for session_id, reason in due:
        closed += conn.execute(
            update(ChipSession).where(ChipSession.id == session_id,
                                      ChipSession.status == "open")
            .values(status="closed", ended_at=now, end_reason=reason)).rowcount
    return closed


def pick(rows: Sequence[Any], free: int, running: Counter, fair: FairShare, rules: Rules,
         turn: int, now: float | None = None) -> list[str]:
    """Ids of up to `free` jobs to run next, in order, each charged to its project's
    fair share. `rows`: the candidates (id, backend, user_id, project_id, priority,
    created_at, chip_seconds, session_id, rank among the user's own on the backend);
    `running`: jobs in flight per user; `turn`: which backend goes first."""
    now = time.time() if now is None else now
    by_backend: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        owner = rules.reserved.get(row.backend)
        if owner is None or row.project_id == owner:
            by_backend[row.backend].append(row)
    streams = {}
    for backend, candidates in by_backend.items():
        streams[backend] = _backend_order(candidates, running, fair, rules, now)
    order = sorted(streams)
    if order:
        shift = turn % len(order)
        order = order[shift:] + order[:shift]
    picked: list[str] = []
    iters = [streams[b] for b in order]
    while iters and len(picked) < free:
        for it in list(iters):
            if len(picked) >= free:
                break
            row = next(it, None)
            if row is None:
                iters.remove(it)
                continue
            picked.append(row.id)
            fair.charge(row.project_id, row.chip_seconds or 0.0, now)
    return picked


def _backend_order(rows: list[Any], running: Counter, fair: FairShare, rules: Rules,
                   now: float):
    """One backend's candidates in the order they should run (a generator that reads
    the fair share as it goes, so charges made meanwhile count)."""
    in_session = [r for r in rows if r.session_id is not None and r.session_id in rules.sessions]
    in_session.sort(key=lambda r: (rules.sessions[r.session_id], r.session_id, -r.priority,
                                   r.created_at, r.id))
    yield from in_session
    taken = {r.id for r in in_session}
    queues: dict[Any, list[Any]] = defaultdict(list)
    for r in rows:
        if r.id not in taken:
            queues[r.project_id].append(r)
    for jobs in queues.values():
        jobs.sort(key=lambda r: (-r.priority, running[r.user_id] + r.rank, r.created_at, r.id))
    while queues:
        # the project served next is decided afresh after each job: the other
        # backends' picks meanwhile have charged their projects too
        row = next(fair.order({p: q[:1] for p, q in queues.items()}, now))
        yield row
        queue = queues[row.project_id]
        queue.pop(0)
        if not queue:
            del queues[row.project_id]
