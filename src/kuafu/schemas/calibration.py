"""Calibration history, recalibrations and unusable parts of chips on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SnapshotSummary(BaseModel):
    """One recalibration of a chip (a line of its history)."""

    id: str
    chip: str
    calibrated_at: datetime
    source: str = Field(description="scheduled, admin, or 'data file' (the first one)")
    started_at: datetime | None = Field(None, description="when the chip went "
                                        "`calibrating` for it")
    requested_by: str | None = None


class SnapshotPublic(SnapshotSummary):
    """A published calibration, immutable: per-qubit and per-coupler figures as its
    recalibration measured them, and what was marked unusable."""

    seed: int
    qubit_names: list[str]
    qubits: dict[str, dict[str, float]]
    couplers: list[dict[str, Any]]
    unusable: dict[str, list[Any]] = Field(default_factory=dict)
    averages: dict[str, float] = Field(default_factory=dict)


class FaultsUpdate(BaseModel):
    """An administrator's marks of unusable qubits (`Q3`) and couplers (`["Q3", "Q4"]`);
    they replace the earlier ones (empty lists clear them)."""

    model_config = ConfigDict(extra="forbid")

    qubits: list[str] = Field(default_factory=list, max_length=1000)
    couplers: list[tuple[str, str]] = Field(default_factory=list, max_length=1000)
    reason: str | None = Field(None, max_length=300)


class FaultsPublic(BaseModel):
    chip: str
    qubits: list[str]
    couplers: list[list[str]]


class CalibrationSeries(BaseModel):
    """A chip's figures at regular times: per qubit `t1_us`, `t2_us`, `fidelity_1q`,
    `readout_fidelity`; per coupler (`Q1-Q2`) the CZ fidelity."""

    chip: str
    times: list[datetime]
    qubits: dict[str, dict[str, list[float]]]
    couplers: dict[str, list[float]]
    recalibrations: list[datetime]
