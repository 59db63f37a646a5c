"""Pydantic models of every wire format, shared by the server and the client.

Bit order: in every `counts` mapping the bitstring's rightmost character is
classical bit 0 (the OpenQASM / Qiskit convention).
"""

from .accounts import TokenCreate, TokenCreated, TokenPublic, UserCreate, UserPublic
from .backends import (
    BackendDetail,
    BackendStatus,
    BackendStatusUpdate,
    BackendSummary,
    Calibration,
)
from .common import ErrorBody, Health, Metrics
from .jobs import (
    BatchStatusRequest,
    CancelResponse,
    JobCreate,
    JobCreated,
    JobList,
    JobPublic,
    JobResult,
    JobStatus,
    JobStatusItem,
)

__all__ = [
    "BackendDetail",
    "BackendStatus",
    "BackendStatusUpdate",
    "BackendSummary",
    "BatchStatusRequest",
    "Calibration",
    "CancelResponse",
    "ErrorBody",
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
]
