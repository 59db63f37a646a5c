"""Jobs on the wire: what a client submits and what it reads back."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

MAX_TAGS = 20
MAX_META_BYTES = 16_000
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                       pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/+=@-]*$")]
"""A job tag: letters, digits and `_ . : / + = @ -`, 1 to 64 characters."""


class JobStatus(StrEnum):
    """Where a job is in its life; `done`, `failed` and `cancelled` are final."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (JobStatus.DONE, JobStatus.FAILED, JobStatus.CANCELLED)


class JobCreate(BaseModel):
    """A submission: one OpenQASM 2 program, or a list of them for a batch.

    Send an `Idempotency-Key` header to make a retried POST return the jobs the
    first one created instead of creating new ones.
    """

    model_config = ConfigDict(extra="forbid")

    qasm: str | list[str] = Field(description="OpenQASM 2.0 source, or a list for a batch")
    backend: str
    shots: int = Field(1000, ge=1)
    compile: bool = Field(True, description="compile for the chip; off: must be native already")
    priority: int = Field(0, ge=0, le=9, description="higher runs first")
    name: str | None = Field(None, max_length=200)
    group: str | None = Field(None, max_length=200)
    seed: int | None = Field(None, ge=0, description="seed of the sampler, for reproducible runs")
    project: str | None = Field(None, max_length=80, description="the project charged "
                                "(one of yours); None: your default project")
    session: str | None = Field(None, max_length=32, description="a chip session of yours "
                                "(POST /sessions): the job runs in it, ahead of the queue, "
                                "charged to the session's project")
    tags: list[Tag] = Field(default_factory=list, max_length=MAX_TAGS,
                            description="labels to find the job by (`GET /jobs?tag=`)")
    meta: dict[str, Any] | None = Field(None, description="free metadata kept with the job "
                                        f"(a JSON object, at most {MAX_META_BYTES} bytes)")

    @field_validator("meta")
    @classmethod
    def _small_meta(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and len(json.dumps(value, default=str)) > MAX_META_BYTES:
            raise ValueError(f"meta is larger than {MAX_META_BYTES} bytes of JSON")
        return value


class JobCreated(BaseModel):
    """Answer to a submission: the ids of the jobs, in the order of the programs."""

    ids: list[str]
    replayed: bool = Field(False, description="true when an idempotency key matched earlier jobs")
    notice: str | None = Field(None, description="what the submitter should know: the chip "
                               "is in maintenance (with the reason) and the jobs will wait")


class Calibration(BaseModel):
    """The calibration a result was produced under."""

    id: str
    time: datetime | None = None


class JobResult(BaseModel):
    """What a finished job produced. Counts: rightmost character is classical bit 0.

    The fields are named as in `kuafu.backends.BackendResult`, which the server stores
    in this form, and as `kuafu.client.Result` exposes them: one set of names from the
    simulator to the client.
    """

    counts: dict[str, int]
    shots: int
    compiled_qasm: str | None = None
    initial_mapping: dict[str, int] = Field(
        default_factory=dict, description="circuit qubit -> physical qubit at the start")
    final_mapping: dict[str, int] = Field(
        default_factory=dict, description="circuit qubit -> physical qubit at the end")
    method: str | None = None
    method_details: dict[str, Any] = Field(
        default_factory=dict, description="how the method ran: `bond_dimension` reached and "
        "`fidelity_estimate` for mps (1.0: exact), `parts` (physical qubits and method of "
        "each independent part) for a split circuit, `estimated_seconds`")
    timings: dict[str, float] = Field(
        default_factory=dict, description="seconds per stage: `compile`, `simulate`, "
        "`total`, the simulator's phases (`prepare`, `run`, `sample`, ...) and the whole "
        "job in its worker (`worker`)")
    seed: int | None = Field(None, description="the seed of the run: submit it again to "
                             "reproduce the counts")
    calibration_id: str | None = Field(
        None, description="the calibration snapshot the job was compiled for and emulated "
        "with (None for a backend without a chip)")
    calibrated_at: datetime | None = Field(None, description="when that calibration was "
                                           "taken (UTC)")
    calibration_point: dict[str, Any] | None = Field(
        None, description="where on its chip's drifting calibration timeline the job ran: "
        "the drift `seed`, `calibrated_at` (the snapshot in force), `at` (the moment whose "
        "noise it ran with), the qubits and couplers marked unusable; with the seed, "
        "what a replay needs (None for a backend that does not drift)")
    software: dict[str, str] | None = Field(
        None, description="versions of Kuafu and the libraries that computed the counts "
        "(a replay with other versions says which differ)")

    @model_validator(mode="before")
    @classmethod
    def _stored_before_one_name_per_field(cls, data: Any) -> Any:
        """Results stored by Kuafu before the names were made one (`mapping`,
        `durations`, `calibration: {id, time}`) read as today's."""
        if not isinstance(data, dict) or not {"mapping", "durations", "calibration"} & set(data):
            return data
        data = dict(data)
        if "mapping" in data:
            data.setdefault("initial_mapping", data.pop("mapping"))
        if "durations" in data:
            data.setdefault("timings", data.pop("durations"))
        calibration = data.pop("calibration", None)
        if isinstance(calibration, dict):
            data.setdefault("calibration_id", calibration.get("id"))
            data.setdefault("calibrated_at", calibration.get("time"))
        return data


class JobPublic(BaseModel):
    """A job as its owner sees it."""

    id: str
    status: JobStatus
    backend: str
    shots: int
    compile: bool
    priority: int
    name: str | None = None
    group: str | None = None
    group_seq: int | None = Field(None, description="the job's place in a quafu-sdk job "
                                  "(`group`), from 0: its task id is `<group>-<group_seq>`")
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    queue_position: int | None = Field(None, description="jobs ahead of this one on its backend")
    estimated_start: datetime | None = Field(
        None, description="when a queued job should start, from the jobs ahead, the running "
        "jobs and the workers, and a maintenance window's announced end; None when unknown "
        "(maintenance with no end given: `notice` says so)")
    notice: str | None = Field(None, description="why a queued job waits beyond its turn "
                               "(its chip is in maintenance or offline, with the reason)")
    error: str | None = None
    qasm: str | None = None
    result: JobResult | None = None
    project: str | None = Field(None, description="the project the job is charged to")
    tags: list[str] = Field(default_factory=list)
    meta: dict[str, Any] | None = None
    replay_of: str | None = Field(None, description="the job this one replays")
    payload_removed_at: datetime | None = Field(
        None, description="when the retention policy removed the program and the result "
        "(the job's ledger stays: who, when, backend, shots, outcome)")


class JobStatusItem(BaseModel):
    """One line of a batch status answer."""

    id: str
    status: JobStatus
    queue_position: int | None = None
    error: str | None = None


class BatchStatusRequest(BaseModel):
    """The ids of jobs whose status to read in one request."""

    model_config = ConfigDict(extra="forbid")

    ids: list[str] = Field(max_length=1000)


class JobList(BaseModel):
    """A page of jobs, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[JobPublic]
    next_cursor: str | None = None


class GroupStatus(StrEnum):
    """Where a group's jobs are: `done`, `partly_done`, `failed` and `cancelled` are
    final (every job ended; `partly_done`: some done, the others failed or cancelled)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    PARTLY_DONE = "partly_done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class GroupPublic(BaseModel):
    """A group as its owner sees it: the jobs submitted with this `group`.

    A group is a label given at submission (`kuafu submit --group`, pyquafu's
    `Task.send(group=...)`) or a quafu-sdk job (`qj...`, its tasks are the jobs): then
    `mode`, `target`, `name` and `open` describe it and each job has its `group_seq`.
    """

    id: str
    status: GroupStatus
    counts: dict[JobStatus, int] = Field(description="jobs by status")
    total: int
    mode: str | None = Field(None, description="single, collection, sweep or iterative "
                             "for a quafu-sdk job; None for a label")
    target: str | None = Field(None, description="a quafu-sdk job's target")
    name: str | None = None
    open: bool = Field(False, description="an iterative quafu-sdk job still taking tasks")
    created_at: datetime
    closed_at: datetime | None = None


class CancelResponse(BaseModel):
    """Answer to a cancel: whether it took effect, and whether the job had started."""

    id: str
    status: JobStatus
    cancelled: bool
    started: bool
    message: str
