"""Groups as Kuafu's own API shows them: the jobs that share a `group`.

A group is either a label given at submission (`kuafu submit --group`, pyquafu's
`Task.send(group=...)`) or a quafu-sdk job (a `JobGroup` row, `qj...`, whose tasks are
the jobs; `quafu_sdk.groups`). Both are read here the same way, from the jobs, so the
native API, client, CLI and console see one model; a quafu-sdk job adds its mode,
target, name and whether it is open.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...schemas import GroupPublic, GroupStatus, JobStatus
from ..errors import NotFound
from ..models import Job, JobGroup, User

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
