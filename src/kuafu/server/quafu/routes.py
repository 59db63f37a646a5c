"""The endpoints pyquafu 0.4.5 calls, under `/qbackend/` (see docs/quafu.md).

pyquafu posts form fields with the token in an `api_token` header and reads JSON back;
every answer here is HTTP 200 with a Quafu `status` code (see `protocol`).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from ...schemas import JobStatus
from ..errors import ServiceError
from ..models import Job, User
from ..services import accounts, catalog, execution, jobs
from ..services.platform import Platform
from . import protocol
from .tasks import QuafuRefusal, failure, job_request, missing_task, refusal, task_body

router = APIRouter(prefix="/qbackend", tags=["quafu"], include_in_schema=False)

SYNC_WAIT_SECONDS = 600.0
"""How long `scq_kit` (pyquafu's `send(wait=True)`) holds the request for the job to end;
after that it answers with the job still queued or running, to `retrieve` later."""


def _platform(request: Request) -> Platform:
    return request.app.state.platform


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _user(platform: Platform, request: Request) -> User:
    token = request.headers.get("api_token") or request.headers.get("api-token")
    with platform.db.transaction() as session:
        try:
            user, _row = accounts.authenticate(session, token)
        except ServiceError as exc:
            raise QuafuRefusal(protocol.USER_ERROR, exc.message.replace(
                "send 'Authorization: Bearer <token>'", "save it with User.save_apitoken()")
                ) from None
        session.expunge(user)
    return user


def _backends_by_id() -> dict[int, str]:
    return {protocol.system_id(name, execution.get_backend(name)): name
            for name in execution.backend_names()}


async def _answer(work, *args: Any) -> dict[str, Any]:
    """Run `work` in the thread pool; a refusal becomes Quafu's error body."""
    try:
        return await run_in_threadpool(work, *args)
    except QuafuRefusal as exc:
        return exc.body()


@router.post("/get_backends/")
async def get_backends(request: Request) -> dict[str, Any]:
    """Every backend with the fields pyquafu's `Backend` reads."""
    platform = _platform(request)
    return await _answer(_list_backends, platform, request)


def _list_backends(platform: Platform, request: Request) -> dict[str, Any]:
    _user(platform, request)
    with platform.db.transaction() as session:
        summaries = catalog.list_backends(session)
    data = []
    for summary in summaries:
        backend = execution.get_backend(summary.name)
        device = backend.device
        data.append({
            "system_name": summary.name,
            "system_id": protocol.system_id(summary.name, backend),
            "qubits": summary.qubits or execution.DEFAULT_MAX_QUBITS,
            "status": protocol.BACKEND_STATUS.get(summary.status, summary.status),
            "valid_gates": summary.native_gates or sorted(_all_gates()),
            "QV": None, "clops": None,  # not measured by Kuafu
            "queued_len": summary.queue_length,
            "priority_qubits": _best_qubits(device) if device is not None else [],
        })
    return {"status": protocol.OK, "data": data}


def _all_gates() -> list[str]:
    from ...circuit import GATES

    return list(GATES)


def _best_qubits(device: Any) -> list[str]:
    """The better half of the chip's qubits by single-qubit and readout fidelity."""
    quality = {name: cal.fidelity_1q * cal.readout_fidelity
               for name, cal in zip(device.qubits, device.qubit_calibration, strict=True)}
    ranked = sorted(quality, key=lambda n: -quality[n])
    return ranked[:max(1, (len(ranked) + 1) // 2)]


@router.post("/scq_get_chip_info/")
async def chip_info(request: Request) -> dict[str, Any]:
    """Topology with each coupler's CZ fidelity, and each qubit's calibration."""
    platform = _platform(request)
    form = await _form(request)
    return await _answer(_chip_info, platform, request, form.get("system_name", ""))


def _chip_info(platform: Platform, request: Request, wanted: str) -> dict[str, Any]:
    _user(platform, request)
    names = {n.lower(): n for n in execution.backend_names()}
    name = names.get(wanted.lower())
    if name is None:
        raise QuafuRefusal(protocol.USER_ERROR, f"no backend {wanted!r}; available: "
                           f"{', '.join(execution.backend_names())}")
    backend = execution.get_backend(name)
    device = backend.device
    if device is None:
        raise QuafuRefusal(protocol.USER_ERROR, f"{name} is an ideal simulator: no chip")
    cz_ns = device.durations_ns.get("cz")
    topology = {
        f"{device.qubits[a]}_{device.qubits[b]}": {
            "cz": {"fidelity": device.coupler_calibration[(a, b)].fidelity_2q,
                   "duration": cz_ns}}
        for a, b in device.couplers}
    qubits = {
        name_: {"T1": cal.t1_us, "T2": cal.t2_us, "fidelity": cal.fidelity_1q,
                "readout_fidelity": cal.readout_fidelity, "readout_p00": cal.readout_p00,
                "readout_p11": cal.readout_p11}
        for name_, cal in zip(device.qubits, device.qubit_calibration, strict=True)}
    when = getattr(device, "calibrated_at", None)
    return {"status": protocol.OK, "system_name": name,
            "system_id": protocol.system_id(name, backend),
            "calibrated_at": when.isoformat() if when else None,
            "topological_structure": topology, "qubits_info": qubits,
            "durations_ns": dict(device.durations_ns)}


@router.post("/scq_kit/")
async def send_and_wait(request: Request) -> dict[str, Any]:
    """`Task.send(wait=True)`: queue the program and answer when the job has ended."""
    return await _send(request, wait=True)


@router.post("/scq_kit_asyc/")
async def send(request: Request) -> dict[str, Any]:
    """`Task.send()`: queue the program and answer at once (status 0, In Queue)."""
    return await _send(request, wait=False)


async def _send(request: Request, wait: bool) -> dict[str, Any]:
    platform = _platform(request)
    form = await _form(request)
    try:
        job_id = await run_in_threadpool(_submit, platform, request, form)
        if wait:
            await _wait_for_end(platform, job_id, SYNC_WAIT_SECONDS)
        job = await run_in_threadpool(_read, platform, job_id)
        if wait and job.status == JobStatus.FAILED:
            raise failure(job)
        return task_body(job)
    except QuafuRefusal as exc:
        return exc.body()


def _submit(platform: Platform, request: Request, form: dict[str, str]) -> str:
    user = _user(platform, request)
    body = job_request(form, _backends_by_id())
    with platform.db.transaction() as session:
        try:
            ids, _ = jobs.submit(platform, session, user, body)
        except ServiceError as exc:
            raise refusal(exc) from None
    platform.scheduler.wake()
    return ids[0]


async def _wait_for_end(platform: Platform, job_id: str, seconds: float) -> None:
    event = platform.events.register(job_id)
    try:
        job = await run_in_threadpool(_read, platform, job_id)
        if not JobStatus(job.status).final:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)
    finally:
        platform.events.unregister(job_id, event)


def _read(platform: Platform, job_id: str) -> Job:
    with platform.db.transaction() as session:
        job = session.get(Job, job_id)
        session.expunge(job)
    return job


@router.post("/scq_task_recall/")
async def recall(request: Request) -> dict[str, Any]:
    """`Task.retrieve(task_id)`: a task of yours with its status and, once done, counts."""
    platform = _platform(request)
    task_id = (await _form(request)).get("task_id", "")
    try:
        return await run_in_threadpool(_recall, platform, request, task_id)
    except QuafuRefusal as exc:
        # pyquafu's retrieve reads any answer as a task (it does not look for an error
        # code), so a refusal is a failed task that carries the reason in `message`.
        return missing_task(task_id, exc.message)


def _recall(platform: Platform, request: Request, task_id: str) -> dict[str, Any]:
    user = _user(platform, request)
    with platform.db.transaction() as session:
        try:
            job = jobs.get_job(session, user, task_id)
        except ServiceError as exc:
            raise QuafuRefusal(protocol.USER_ERROR, exc.message) from None
        return task_body(job)
