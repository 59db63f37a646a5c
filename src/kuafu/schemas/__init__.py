"""Pydantic models of every wire format, shared by the server and the client.

Bit order: in every `counts` mapping the bitstring's rightmost character is
classical bit 0 (the OpenQASM / Qiskit convention).
"""

from .accounts import (
    USER_NAME_PATTERN,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
)
from .backends import (
    CALIBRATION_FIGURE_LABEL,
    BackendDetail,
    BackendStatus,
    BackendStatusUpdate,
    BackendSummary,
    Calibration,
    calibration_figure,
    format_calibration_figure,
)
from .common import ErrorBody, Health, Metrics
from .jobs import (
    BatchStatusRequest,
    CancelResponse,
    GroupPublic,
    GroupStatus,
    JobCreate,
    JobCreated,
    JobList,
    JobPublic,
    JobResult,
    JobStatus,
    JobStatusItem,
)

__all__ = [
    "CALIBRATION_FIGURE_LABEL",
    "USER_NAME_PATTERN",
    "BackendDetail",
    "BackendStatus",
    "BackendStatusUpdate",
    "BackendSummary",
    "BatchStatusRequest",
    "Calibration",
    "CancelResponse",
    "ErrorBody",
    "GroupPublic",
    "GroupStatus",
    "Health",
    "JobCreate",
    "JobCreated",
    "JobList",
    "JobPublic",
    "JobResult",
    "JobStatus",
    "JobStatusItem",
    "Metrics",
    "TokenCreate",
    "TokenCreated",
    "TokenPublic",
    "UserCreate",
    "UserPublic",
    "calibration_figure",
    "format_calibration_figure",
]
