"""Groups: the jobs that share a `group` (a label, or a quafu-sdk job), counted."""

from __future__ import annotations

from fastapi import APIRouter

from ....schemas import GroupPublic
from ...services import groups
from ..deps import CurrentUser, SessionDep

router = APIRouter(prefix="/groups", tags=["groups"])


@router.get("/{group_id:path}")
def get_group(group_id: str, session: SessionDep, user: CurrentUser) -> GroupPublic:
    """Your group `group_id`: its jobs by status and the group's status; for a
    quafu-sdk job (`qj...`) also its mode, target, name and whether it is open. The
    jobs themselves: `GET /jobs?group=<id>`."""
    return groups.get_group(session, user, group_id)
