"""Backends (chips) on the wire."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
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
    until: datetime | None = Field(None, description="when the operator expects the chip "
                                   "back online (UTC); estimated starts use it")


CALIBRATION_FIGURE_LABEL = "median 2q fidelity"
"""The label of a chip's one headline calibration figure (`calibration_figure`), the same
in the CLI, the console and the API (`BackendSummary.fidelity_2q_median`)."""


def calibration_figure(fidelities_2q: Iterable[float]) -> float | None:
    """A chip's headline calibration figure: the median two-qubit gate fidelity over its
    couplers (a fraction, 0-1), None for a chip without couplers (or an ideal simulator).

    The median, not the mean: one bad coupler (which layout avoids) should not hide that
    most of the chip is good."""
    values = [float(v) for v in fidelities_2q]
    return statistics.median(values) if values else None


def format_calibration_figure(value: float | None) -> str:
    """`calibration_figure` for people: "99.26 %", or "-" when there is none."""
    return "-" if value is None else f"{100 * value:.2f} %"


class BackendSummary(BaseModel):
    """A line of the backend list.

    `status` is what the chip does now (an operator's word wins over its data file);
    `status_reason` says why it is not online (or what the operator said), and
    `status_until` when it is expected back, when someone said so."""

    name: str
    qubits: int = Field(description="qubits of the chip; for a simulator, the widest "
                        "circuit it accepts")
    status: str
    status_reason: str | None = None
    status_until: datetime | None = None
    native_gates: list[str]
    queue_length: int = 0
    calibration_time: datetime | None = None
    fidelity_2q_median: float | None = Field(
        None, description=f"{CALIBRATION_FIGURE_LABEL} (0-1), the headline calibration "
                          "figure; None for a chip without couplers or a simulator")
    next_recalibration: datetime | None = Field(
        None, description="when the chip's next scheduled recalibration starts (it is "
        "`calibrating` then, its jobs waiting); None without a schedule")
    reserved_for: str | None = Field(None, description="the project a reservation in "
                                     "force gives the chip to: only its jobs run there "
                                     "until `reserved_until`")
    reserved_until: datetime | None = None


class BackendDetail(BackendSummary):
    """A backend with its topology and full calibration."""

    coupling_map: list[tuple[int, int]] = Field(default_factory=list)
    calibration: Calibration | None = None
    calibration_data: dict[str, Any] = Field(default_factory=dict)
