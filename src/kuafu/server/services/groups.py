"""Groups as Kuafu's own API shows them: the jobs that share a `group`.

A group is either a label given at submission (`kuafu submit --group`, pyquafu's
`Task.send(group=...)`) or a quafu-sdk job (a `JobGroup` row, `qj...`, whose tasks are
the jobs; `quafu_sdk.groups`). Both are read here the same way, from the jobs, so the
native API, client, CLI and console see one model; a quafu-sdk job adds its mode,
target, name and whether it is open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...schemas import GroupPublic, GroupStatus, JobStatus
from ..errors import NotFound
from ..models import Job, JobGroup, User
from .platform import Platform

MAX_GROUP = 200
"""The longest `group` a job may have (`JobCreate.group`)."""


def get_group(session: Session, user: User, group_id: str) -> GroupPublic:
    """The caller's group `group_id`, its jobs counted by status.

    Raises:
        NotFound: no job of the caller has this group (another user's is not shown).
    """
    if len(group_id) > MAX_GROUP or "\x00" in group_id:  # no job has such a group
        raise NotFound(f"no group {group_id[:40]!r} among your jobs")
    row = session.get(JobGroup, group_id) if len(group_id) <= 32 else None
    if row is not None and row.user_id != user.id:
        row = None
    found = session.execute(
        select(Job.status, func.count(), func.min(Job.created_at))
        .where(Job.user_id == user.id, Job.group == group_id).group_by(Job.status)).all()
    if row is None and not found:
        raise NotFound(f"no group {group_id!r} among your jobs")
    counts = dict.fromkeys(JobStatus, 0)
    for status, n, _first in found:
        counts[JobStatus(status)] = n
    open_ = bool(row is not None and row.open)
    return GroupPublic(
        id=group_id, status=group_status(counts, open_), counts=counts,
        total=sum(counts.values()), mode=row.mode if row else None,
        target=row.target if row else None, name=row.name if row else None, open=open_,
        created_at=row.created_at if row else min(first for *_, first in found),
        closed_at=row.closed_at if row else None)


def group_status(counts: Mapping[JobStatus, int], open_: bool) -> GroupStatus:
    """Queued while nothing has started; running while jobs are pending (or an
    iterative quafu-sdk job is open); then done, partly done, cancelled or failed."""
    total = sum(counts.values())
    queued, pending = counts[JobStatus.QUEUED], counts[JobStatus.QUEUED] + counts[
        JobStatus.RUNNING]
    if pending:
        return GroupStatus.QUEUED if queued == total else GroupStatus.RUNNING
    if open_:
        return GroupStatus.RUNNING if total else GroupStatus.QUEUED
    done = counts[JobStatus.DONE]
    if done == total:
        return GroupStatus.DONE
    if done:
        return GroupStatus.PARTLY_DONE
    return (GroupStatus.CANCELLED if counts[JobStatus.CANCELLED] == total
            else GroupStatus.FAILED)


def store_sdk_tasks(platform: Platform, session: Session, group: JobGroup,
                    tasks: Sequence[tuple[str, dict[str, Any]]], *,
                    commit: bool = True) -> None:
    """Record a quafu-sdk job's `group` row (once) and number its new tasks (job id, its
    description) in order after those it has, under the store's write lock, and commit
    there (a concurrent append numbers after these)."""
    with platform.db.writing():
        if session.get(JobGroup, group.id) is None:
            try:
                with session.begin_nested():
                    session.add(group)
            except IntegrityError:  # a concurrent replay stored it
                pass
        session.execute(select(JobGroup.id).where(JobGroup.id == group.id)
                        .with_for_update())
        ids = [job_id for job_id, _meta in tasks]
        rows = {j.id: j for j in session.scalars(select(Job).where(Job.id.in_(ids)))}
        next_seq = session.scalar(select(func.max(Job.group_seq)).where(
            Job.group == group.id)) if any(rows[i].group_seq is None for i in ids) else None
        seq = -1 if next_seq is None else next_seq
        for job_id, meta in tasks:
            job = rows[job_id]
            if job.group_seq is not None:
                continue
            seq += 1
            job.group_seq = seq
            job.task_meta = meta
        if commit:
            session.commit()
