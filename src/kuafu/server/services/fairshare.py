"""Fair share between projects, as Slurm's fair-share factor does it.

Each project has a share: its allocation in emulated chip-seconds (a shot allocation
counts its shots at the repetition period; an unlimited project gets
`DEFAULT_SHARE_SECONDS`). Its usage is the chip-seconds of the jobs it ran, each decayed
by half every `half_life` seconds since it was dispatched. The scheduler serves first
the project with the least usage for its share, `usage / share`, and charges every job
it hands out at once, so within one pass the projects interleave in proportion to
their shares. The factor shown to people is Slurm's `F = 2^(-U/S)` with U and S each
normalised over all projects: 1 for a project that used nothing lately, 0.5 for one
using exactly its share, towards 0 above it.

A project that was idle has its usage decayed while the others' grows, so when it
returns it comes first, until its usage catches up with its share.

The state lives in the scheduler's memory; at start it is rebuilt from the jobs of the
allocation window (`load`), so a restart loses nothing of it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ...schemas import JobStatus
from ...schemas.projects import ALLOCATION_WINDOW_DAYS
from ..models import Job, Project
from . import charges, projects

HALF_LIFE_SECONDS = 7 * 86400.0
"""Slurm's default PriorityDecayHalfLife: usage a week old counts half."""
DEFAULT_SHARE_SECONDS = 3600.0
"""The share of a project with no allocation: an hour of chip time per 28 days."""
MIN_SHARE = 1e-6


def share_of(shots_allocation: int | None, seconds_allocation: float | None,
             default: float = DEFAULT_SHARE_SECONDS) -> float:
    """A project's share in chip-seconds, from its allocation."""
    if seconds_allocation is not None:
        return max(float(seconds_allocation), MIN_SHARE)
    if shots_allocation is not None:
        return max(shots_allocation * charges.REPETITION_SECONDS, MIN_SHARE)
    return default


@dataclass
class _Decayed:
    value: float = 0.0
    at: float = 0.0  # seconds (a monotonic or epoch clock, the caller's)


class FairShare:
    """Decayed usage and shares of the projects; the order in which they are served.

    Times are plain seconds on one clock of the caller's (the scheduler uses the epoch),
    so a test can drive it with a clock of its own.
    """

    def __init__(self, half_life: float = HALF_LIFE_SECONDS,
                 default_share: float = DEFAULT_SHARE_SECONDS) -> None:
        self.half_life = half_life
        self.default_share = default_share
        self.shares: dict[int | None, float] = {}
        self._usage: dict[int | None, _Decayed] = {}

    # ----- state -------------------------------------------------------------------------
    def set_share(self, project_id: int | None, shots_allocation: int | None,
                  seconds_allocation: float | None) -> None:
        self.shares[project_id] = share_of(shots_allocation, seconds_allocation,
                                           self.default_share)

    def known(self, project_ids: set[int | None]) -> None:
        """Give the default share to the ids no project has (left by a deleted one)."""
        for project_id in project_ids:
            self.shares.setdefault(project_id, self.default_share)

    def share(self, project_id: int | None) -> float:
        return self.shares.get(project_id, self.default_share)

    def usage(self, project_id: int | None, now: float) -> float:
        """Decayed chip-seconds of the project at `now`."""
        u = self._usage.get(project_id)
        if u is None:
            return 0.0
        return u.value * 2.0 ** (-(now - u.at) / self.half_life) if now > u.at else u.value

    def charge(self, project_id: int | None, seconds: float, now: float) -> None:
        """Add a job's chip-seconds to the project's usage (dispatched at `now`)."""
        self._usage[project_id] = _Decayed(self.usage(project_id, now) + seconds,
                                           max(now, self._usage.get(project_id,
                                                                    _Decayed()).at))

    def key(self, project_id: int | None, now: float) -> float:
        """What orders the projects: usage for the share (lower is served first)."""
        return self.usage(project_id, now) / self.share(project_id)

    def factor(self, project_id: int | None, now: float | None = None) -> float:
        """Slurm's fair-share factor 2^(-U/S), U and S normalised over the projects."""
        import time

        now = time.time() if now is None else now
        ids = set(dict(self.shares)) | set(dict(self._usage)) | {project_id}  # snapshots
        total_usage = sum(self.usage(p, now) for p in ids)
        total_share = sum(self.share(p) for p in ids)
        if total_usage <= 0:
            return 1.0
        u = self.usage(project_id, now) / total_usage
        s = self.share(project_id) / total_share
        return 2.0 ** (-u / s)

    # ----- ordering ----------------------------------------------------------------------
    def order(self, queues: Mapping[int | None, Sequence[Any]], now: float,
              cost: Any = lambda job: job.chip_seconds) -> Iterator[Any]:
        """The jobs of `queues` (each project's own, in its own order) interleaved by
        fair share: the next job is always from the project whose usage for its share,
        counting the jobs already yielded, is least; ties go to the lower project id.
        Yielding does not charge: call `charge` for the jobs actually handed out."""
        extra: dict[int | None, float] = {}
        heap = [(self.key(p, now), _id_key(p), p, 0) for p, jobs in queues.items() if jobs]
        heapq.heapify(heap)
        while heap:
            _key, tie, p, index = heapq.heappop(heap)
            job = queues[p][index]
            yield job
            extra[p] = extra.get(p, 0.0) + (cost(job) or 0.0)
            if index + 1 < len(queues[p]):
                key = (self.usage(p, now) + extra[p]) / self.share(p)
                heapq.heappush(heap, (key, tie, p, index + 1))

    # ----- the store ---------------------------------------------------------------------
    def load(self, conn: Any, now: datetime) -> None:
        """Shares of every project, and the usage of the jobs dispatched in the window."""
        self.refresh_shares(conn)
        since = now - timedelta(days=ALLOCATION_WINDOW_DAYS)
        started = func.coalesce(Job.started_at, Job.created_at)
        rows = conn.execute(
            select(Job.project_id, started.label("at"), Job.chip_seconds)
            .where(started >= since, Job.status.in_((
                JobStatus.RUNNING.value, JobStatus.DONE.value, JobStatus.CANCELLED.value,
                JobStatus.FAILED.value)), Job.started_at.is_not(None)))
        stamp = now.timestamp()
        for row in rows:
            age = stamp - row.at.timestamp()
            self.charge(row.project_id, (row.chip_seconds or 0.0)
                        * 2.0 ** (-max(age, 0.0) / self.half_life), stamp)

    def refresh_shares(self, conn: Any) -> None:
        self.shares.setdefault(None, self.default_share)  # jobs of a deleted project
        for row in conn.execute(select(Project.id, Project.name, Project.shots_allocation,
                                       Project.seconds_allocation)):
            self.set_share(row.id, row.shots_allocation, row.seconds_allocation)
            projects._NAMES[row.id] = row.name


def _id_key(project_id: int | None) -> float:
    return -math.inf if project_id is None else float(project_id)

