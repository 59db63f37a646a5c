"""Backends (chips) on the wire."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .jobs import Calibration


class BackendStatus(StrEnum):
    """Whether a backend takes jobs: `maintenance` holds its queue, `offline` also
    refuses new jobs."""

    ONLINE = "online"
    MAINTENANCE = "maintenance"
    OFFLINE = "offline"


class BackendStatusUpdate(BaseModel):
    """An administrator setting a backend's status (`PUT /backends/{name}/status`)."""

    model_config = ConfigDict(extra="forbid")

    status: BackendStatus
    reason: str | None = Field(None, max_length=500)


class BackendSummary(BaseModel):
    """A line of the backend list."""

    name: str
    qubits: int
    status: str
    native_gates: list[str]
    queue_length: int = 0
    calibration_time: datetime | None = None


class BackendDetail(BackendSummary):
    """A backend with its topology and full calibration."""

    coupling_map: list[tuple[int, int]] = Field(default_factory=list)
    calibration: Calibration | None = None
    calibration_data: dict[str, Any] = Field(default_factory=dict)
