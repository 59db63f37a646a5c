"""Job groups: quafu-sdk's jobs over Kuafu's job rows.

A group is a `JobGroup` row plus its tasks, each an ordinary `Job` whose `group` is the
group's id and `group_seq` its place. Tasks are submitted, run, read and cancelled by
Kuafu's one lifecycle (`services.jobs`: the same validator, quotas, idempotency,
scheduler), so `kuafu jobs --group <id>`, the console and `/api/v1/jobs/<task>` show them
too. Group ids are `qj` + 30 hex digits (never a Kuafu job id, which is 32 hex digits);
task ids `<group id>-<seq>`.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ... import __version__
from ...schemas import GroupStatus, JobCreate, JobStatus
from ..errors import ServiceError
from ..models import Job, JobGroup, User, utcnow
from ..services import chip_sessions, execution, jobs
from ..services import groups as native_groups
from ..services.platform import Platform
from . import devices
from .errors import SdkError, not_found, refusal

GROUP_PREFIX = "qj"
MODES = ("single", "collection", "sweep", "iterative")
LEVELS = {"logical": True, "physical": False}
BIT_ORDER = "c0_rightmost"  # Kuafu's own order: the rightmost character is c[0]
RESULT_PAGE = 200
TASK_STATUS = {JobStatus.QUEUED: "Queued", JobStatus.RUNNING: "Running",
               JobStatus.DONE: "Finished", JobStatus.FAILED: "Failed",
               JobStatus.CANCELLED: "Cancelled"}
CIRCUIT_KEYS = {"qasm", "shots", "name", "parameter_values", "iteration",
                "evaluation_index", "metadata"}
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def is_group_id(value: str) -> bool:
    return value.startswith(GROUP_PREFIX) and len(value) <= 32


def _group_id(user: User, client_ref: str | None) -> str:
    """Derived from the client's idempotency key when there is one, so a retried
    submission that died half-way finds the same group and finishes it."""
    if client_ref:
        digest = hashlib.sha256(f"{user.id}:{client_ref}".encode()).hexdigest()
        return GROUP_PREFIX + digest[:30]
    return GROUP_PREFIX + uuid.uuid4().hex[:30]


# ── reading the request ─────────────────────────────────────────────

def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...],
           required: bool = False) -> Any:
    value = body.get(name)
    if value is None:
        if required:
            raise SdkError(400, "invalid_request", f"{name} is missing", {"field": name})
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise SdkError(400, "invalid_request", f"{name} has the wrong type", {"field": name})
    return value


def _shots(value: Any, where: str = "shots") -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise SdkError(400, "invalid_request", f"{where} must be an integer", {"field": where})
    if value < 1:
        raise SdkError(422, "precheck.shotsOutOfRange",
                       f"{where} must be at least 1; asked {value}",
                       {"shots": value, "min_shots": 1})
    return value


def _parameters(raw: Any) -> list[dict[str, Any]] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(p, dict) and isinstance(p.get("name"), str)
                                            and p.get("unit") for p in raw):
        raise SdkError(400, "invalid_request", "parameters must be [{name, unit}, ...]",
                       {"field": "parameters"})
    names = [p["name"] for p in raw]
    if len(set(names)) != len(names):
        raise SdkError(400, "invalid_request", "parameter names repeat",
                       {"field": "parameters"})
    return [{k: p[k] for k in ("name", "unit", "symbol") if p.get(k) is not None} for p in raw]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(value):
        raise SdkError(400, "invalid_request", f"{where} must be a finite number",
                       {"field": where})
    return float(value)


def _points(raw: Any, parameters: list[dict[str, Any]]) -> list[list[float]]:
    if not isinstance(raw, list):
        raise SdkError(400, "invalid_request", "points must be a list of rows",
                       {"field": "points"})
    rows = []
    for i, row in enumerate(raw):
        if not isinstance(row, list) or len(row) != len(parameters):
            raise SdkError(422, "precheck.parameterPoints",
                           f"point {i} has {len(row) if isinstance(row, list) else 1} values; "
                           f"the parameters are {[p['name'] for p in parameters]}",
                           {"task_index": i, "missing": True})
        rows.append([_number(v, f"points[{i}]") for v in row])
    return rows


def _format(value: float) -> str:
    text = repr(float(value))
    return f"({text})" if value < 0 else text


def substitute(template: str, parameters: list[dict[str, Any]], point: list[float]) -> str:
    """The template with each `{{name}}` replaced by the point's value of `name`."""
    values = {p["name"]: v for p, v in zip(parameters, point, strict=True)}
    return _PLACEHOLDER.sub(lambda m: _format(values[m.group(1)]), template)


def check_template(template: str, parameters: list[dict[str, Any]] | None) -> None:
    """Every placeholder of the template is a declared parameter.

    Raises:
        SdkError: 422 `precheck.templateParameters` naming the undeclared ones.
    """
    declared = {p["name"] for p in parameters or []}
    undeclared = sorted(set(_PLACEHOLDER.findall(template)) - declared)
    if undeclared:
        raise SdkError(422, "precheck.templateParameters",
                       f"the template uses undeclared parameters: {', '.join(undeclared)}",
                       {"undeclared": undeclared})


class Task(dict):
    """One task to submit: program, shots and what the group says of it."""


def _circuit_tasks(items: Any, default_shots: int, iteration: int | None = None,
                   evaluation_index: int | None = None) -> list[Task]:
    if not isinstance(items, list) or not items:
        raise SdkError(400, "invalid_request", "circuits must be a non-empty list",
                       {"field": "circuits"})
    tasks = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("qasm"), str) \
                or set(item) - CIRCUIT_KEYS:
            raise SdkError(400, "invalid_request",
                           f"circuits[{i}] must be {{qasm, shots, name, parameter_values, ...}}",
                           {"field": f"circuits[{i}]"})
        values = item.get("parameter_values")
        if values is not None:
            values = {str(k): _number(v, f"circuits[{i}].parameter_values")
                      for k, v in values.items()}
        tasks.append(Task(
            qasm=item["qasm"],
            shots=_shots(item["shots"], f"circuits[{i}].shots")
            if item.get("shots") is not None else default_shots,
            name=item.get("name"), parameter_values=values,
            iteration=item.get("iteration", iteration),
            evaluation_index=item.get("evaluation_index", evaluation_index)))
    return tasks


def _point_tasks(group: JobGroup, points: list[list[float]], iteration: int | None,
                 evaluation_index: int | None) -> list[Task]:
    names = [p["name"] for p in group.parameters or []]
    return [Task(qasm=substitute(group.template_qasm or "", group.parameters or [], point),
                 shots=group.shots, name=None, parameter_values=dict(zip(names, point,
                                                                        strict=True)),
                 iteration=iteration, evaluation_index=evaluation_index)
            for point in points]


# ── creating and appending ──────────────────────────────────────────

def create(platform: Platform, session: Session, user: User,
           body: dict[str, Any]) -> dict[str, Any]:
    """`POST /jobs`: a new group (single, collection, sweep or iterative) with its tasks.

    Raises:
        SdkError: the group is refused as a whole, and nothing is stored.
    """
    mode = _field(body, "mode", str, required=True)
    if mode not in MODES:
        raise SdkError(400, "invalid_request", f"mode must be one of {', '.join(MODES)}",
                       {"field": "mode"})
    target = devices.resolve(_field(body, "target", str, required=True))
    shots = _shots(body.get("shots", 1024))
    level = body.get("circuit_level", "logical")
    if level not in LEVELS:
        raise SdkError(400, "invalid_request", "circuit_level must be logical or physical",
                       {"field": "circuit_level"})
    client_ref = _field(body, "client_ref", str)
    if client_ref is not None and len(client_ref) > 100:
        raise SdkError(400, "invalid_request", "client_ref is longer than 100 characters",
                       {"field": "client_ref"})
    name = _field(body, "name", str)
    parameters = _parameters(body.get("parameters"))
    template = _field(body, "template_qasm", str)
    gid = _group_id(user, client_ref)
    existing = session.get(JobGroup, gid)
    if existing is not None and existing.user_id == user.id and client_ref is not None:
        return created(session, existing, _task_ids(session, existing))
    group = JobGroup(id=gid, user_id=user.id, mode=mode, target=target.name,
                     backend=target.backend, name=name[:200] if name else None,
                     shots=shots, compile=LEVELS[level], parameters=parameters,
                     template_qasm=template, open=mode == "iterative",
                     client_ref=client_ref, created_at=utcnow())
    if mode == "sweep":
        if template is None or parameters is None:
            raise SdkError(400, "invalid_request",
                           "a sweep needs template_qasm, parameters and points",
                           {"field": "template_qasm"})
        check_template(template, parameters)
        tasks = _point_tasks(group, _points(body.get("points"), parameters), None, None)
    elif mode == "iterative":
        if template is not None:
            check_template(template, parameters)
        tasks = []
    else:
        tasks = _circuit_tasks(body.get("circuits"), shots)
        if mode == "single" and len(tasks) != 1:
            raise SdkError(400, "invalid_request", "a single job holds one circuit",
                           {"field": "circuits"})
    if not tasks and mode != "iterative":
        raise SdkError(400, "invalid_request", "the job holds no circuit",
                       {"field": "circuits"})
    _check_size(platform, len(tasks))
    if target.chip is not None:
        devices.record_chip(session, target.chip, platform.settings)
    ids = _submit(platform, session, user, group, tasks, client_ref or uuid.uuid4().hex)
    _store(platform, session, group, ids, tasks)
    if mode == "iterative":  # its rounds run ahead of the queue (a chip session, issue 17)
        with platform.db.writing():
            if chip_sessions.open_for_group(session, user, group.id, group.backend):
                platform.scheduler.rules_changed()
    return created(session, group, _task_ids(session, group))


def append(platform: Platform, session: Session, user: User, group_id: str,
           body: dict[str, Any]) -> dict[str, Any]:
    """`POST /jobs/<id>/tasks`: a round of tasks for an open iterative group.

    Raises:
        SdkError: 409 `job_not_iterative`, `job_closed` or `job_has_no_template`; the
            refusals of a submission.
    """
    group = get(session, user, group_id)
    if group.mode != "iterative":
        raise SdkError(409, "job_not_iterative", f"job {group.id} is a {group.mode} job")
    if not group.open:
        raise SdkError(409, "job_closed", f"job {group.id} is closed")
    iteration = body.get("iteration")
    evaluation_index = body.get("evaluation_index")
    if (body.get("points") is None) == (body.get("circuits") is None):
        raise SdkError(400, "invalid_request", "give points or circuits, not both",
                       {"field": "points"})
    if body.get("points") is not None:
        if not group.template_qasm or not group.parameters:
            raise SdkError(409, "job_has_no_template",
                           f"job {group.id} was opened without a template and parameters")
        tasks = _point_tasks(group, _points(body["points"], group.parameters), iteration,
                             evaluation_index)
    else:
        tasks = _circuit_tasks(body["circuits"], group.shots, iteration, evaluation_index)
    _check_size(platform, len(tasks))
    chip = devices.stored(group.target, group.backend).chip
    if chip is not None:
        devices.record_chip(session, chip, platform.settings)
    ref = _field(body, "client_ref", str) or uuid.uuid4().hex
    ids = _submit(platform, session, user, group, tasks, f"{group.id}:{ref}"[:150])
    _store(platform, session, group, ids, tasks)
    by_id = dict(session.execute(select(Job.id, Job.group_seq).where(Job.id.in_(ids))).all())
    return {"job_id": group.id, "task_ids": [f"{group.id}-{by_id[i]}" for i in ids],
            "n_tasks": _count(session, group)}


def _check_size(platform: Platform, n: int) -> None:
    most = platform.settings.max_batch
    if n > most:
        raise SdkError(413, "job_too_large", f"a job may hold {most} tasks at a time; "
                       f"this one has {n}", {"max": most, "requested": n})


def _submit(platform: Platform, session: Session, user: User, group: JobGroup,
            tasks: list[Task], key: str) -> list[str]:
    """Submit the tasks through Kuafu's lifecycle, in runs of equal shots (each run one
    atomic batch, keyed for replay); returns the job ids in task order."""
    runs: list[tuple[int, list[int]]] = []
    for i, task in enumerate(tasks):
        if runs and runs[-1][0] == task["shots"]:
            runs[-1][1].append(i)
        else:
            runs.append((task["shots"], [i]))
    if len(runs) > 1:  # refuse the whole group before any run is stored
        for i, task in enumerate(tasks):
            try:
                execution.validate(task["qasm"], group.backend, group.compile,
                                   platform.settings.max_operations,
                                   platform.settings.max_memory_bytes, shots=task["shots"])
            except ServiceError as exc:
                raise refusal(exc, i, group.target) from None
    ids: list[str] = []
    for number, (shots, members) in enumerate(runs):
        in_session = (chip_sessions.open_id(session, group.id)
                      if group.mode == "iterative" else None)
        request = JobCreate(qasm=[tasks[i]["qasm"] for i in members], backend=group.backend,
                            shots=shots, compile=group.compile, name=group.name,
                            group=group.id, session=in_session)
        try:
            try:
                made = jobs.submit_job(platform, session, user, request,
                                       idempotency_key=f"sdk:{key}:{number}")
            except ServiceError as exc:
                if in_session is None or exc.code != "session_ended":
                    raise
                session.rollback()  # it ended a moment ago: the general queue
                made = jobs.submit_job(platform, session, user,
                                       request.model_copy(update={"session": None}),
                                       idempotency_key=f"sdk:{key}:{number}")
        except ServiceError as exc:
            raise refusal(exc, members[0] if len(members) == 1 else None,
                          group.target) from None
        ids.extend(made.ids)
    platform.scheduler.wake()
    return ids


def _store(platform: Platform, session: Session, group: JobGroup, ids: list[str],
           tasks: list[Task]) -> None:
    """Record the group (once) and each new task's place and description (committed)."""
    native_groups.store_sdk_tasks(
        platform, session, group,
        [(job_id, _describe(task)) for job_id, task in zip(ids, tasks, strict=True)])


def _describe(task: Task) -> dict[str, Any]:
    """What a task's result reports beyond its job row: classical bits and which qubit
    each measures (virtual), parameter values, iteration, name."""
    meta = {k: task.get(k) for k in ("name", "parameter_values", "iteration",
                                     "evaluation_index") if task.get(k) is not None}
    circuit = execution.parse_program(task["qasm"], execution.PARSE_MAX_QUBITS)
    measured: dict[int, int] = {}
    for inst in circuit.instructions:
        if inst.name == "measure":
            for q, c in zip(inst.qubits, inst.clbits, strict=True):
                measured[c] = q
    meta["n_clbits"] = circuit.num_clbits
    meta["measured"] = sorted(measured.items())
    meta["cregs"] = [{"name": r.name, "size": r.size} for r in circuit.cregs]
    return meta


# ── reading ─────────────────────────────────────────────────────────

def get(session: Session, user: User, group_id: str) -> JobGroup:
    """The caller's group.

    Raises:
        SdkError: 404 `not_found`, for a group that is not theirs as for none.
    """
    group = session.get(JobGroup, group_id) if len(group_id) <= 32 else None
    if group is None or group.user_id != user.id:
        raise not_found(f"no job {group_id!r}")
    return group


def _tasks(session: Session, group: JobGroup) -> Any:
    return select(Job).where(Job.group == group.id, Job.user_id == group.user_id,
                             Job.group_seq.is_not(None))


def _task_ids(session: Session, group: JobGroup) -> list[str]:
    seqs = session.scalars(select(Job.group_seq).where(
        Job.group == group.id, Job.group_seq.is_not(None)).order_by(Job.group_seq))
    return [f"{group.id}-{s}" for s in seqs]


def _count(session: Session, group: JobGroup) -> int:
    return session.scalar(select(func.count()).where(
        Job.group == group.id, Job.group_seq.is_not(None))) or 0


def tally(session: Session, group: JobGroup) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).where(
        Job.group == group.id, Job.user_id == group.user_id, Job.group_seq.is_not(None))
        .group_by(Job.status)).all()
    by = {JobStatus(s): n for s, n in rows}
    counts = {TASK_STATUS[s].lower(): by.get(s, 0) for s in TASK_STATUS}
    counts["total"] = sum(by.values())
    return counts


GROUP_STATUS = {GroupStatus.QUEUED: "Queued", GroupStatus.RUNNING: "Running",
                GroupStatus.DONE: "Finished", GroupStatus.PARTLY_DONE: "PartiallyFinished",
                GroupStatus.FAILED: "Failed", GroupStatus.CANCELLED: "Cancelled"}


def group_status(counts: dict[str, int], open_: bool) -> str:
    """Queued / Running / Finished / PartiallyFinished / Failed / Cancelled: the native
    group status (`services.groups.group_status`) in quafu-sdk's words."""
    native = {s: counts[TASK_STATUS[s].lower()] for s in JobStatus}
    return GROUP_STATUS[native_groups.group_status(native, open_)]


def created(session: Session, group: JobGroup, task_ids: list[str]) -> dict[str, Any]:
    counts = tally(session, group)
    return {"job_id": group.id, "task_ids": task_ids, "n_tasks": len(task_ids),
            "status": group_status(counts, group.open), "open": group.open,
            "mode": group.mode, "target": group.target}


def status(session: Session, user: User, group_id: str) -> dict[str, Any]:
    """`GET /jobs/<id>/status`."""
    group = get(session, user, group_id)
    counts = tally(session, group)
    return {"job_id": group.id, "status": group_status(counts, group.open),
            "open": group.open, "counts": counts, "mode": group.mode,
            "target": group.target, "name": group.name,
            "created_at": group.created_at.isoformat(),
            "closed_at": group.closed_at.isoformat() if group.closed_at else None}


def task(session: Session, user: User, group_id: str, seq: int) -> dict[str, Any]:
    """`GET /jobs/<id>/tasks/<seq>`: one task's detail and result."""
    group = get(session, user, group_id)
    job = session.scalar(_tasks(session, group).where(Job.group_seq == seq))
    if job is None:
        raise not_found(f"no task {group.id}-{seq}")
    return task_detail(group, job)


def _error(job: Job) -> dict[str, Any]:
    reason = job.error or "the job failed"
    compile_ = reason.startswith(("CompileError", "CircuitTooWide"))
    return {"category": "compile.failed" if compile_ else "runtime.executionFailed",
            "stage": "precheck" if compile_ else "hardware", "retryable": False,
            "detail": reason, "vars": {}}


def _calibration(result: dict[str, Any]) -> dict[str, Any] | None:
    """The calibration a task ran under, in quafu-sdk's form: `{id, time}` (from the
    stored result's `calibration_id` and `calibrated_at`)."""
    if not result:
        return None
    if "calibration_id" not in result:  # stored before the names were made one
        return result.get("calibration")
    if result["calibration_id"] is None:
        return None
    when = result.get("calibrated_at")
    return {"id": result["calibration_id"],
            "time": datetime.fromisoformat(when.replace("Z", "+00:00")).isoformat()
            if when else None}


def task_detail(group: JobGroup, job: Job) -> dict[str, Any]:
    """A task as quafu-sdk's `Result` reads it."""
    meta = job.task_meta or {}
    state = TASK_STATUS[JobStatus(job.status)]
    result = job.result or {}
    target = devices.stored(group.target, group.backend)
    mapping = result.get("final_mapping") or result.get("mapping") or {}
    measurements = [{"cbit": c, "virtual_qubit": q,
                     "physical_qubit": mapping.get(str(q), q) if job.compile else q}
                    for c, q in meta.get("measured", [])]
    seed = result.get("seed", job.seed)
    out: dict[str, Any] = {
        "task_id": f"{group.id}-{job.group_seq}", "status": state, "target": group.target,
        "chip": target.chip, "kind": target.kind, "backend": job.backend,
        "kuafu_job_id": job.id, "name": meta.get("name"), "iteration": meta.get("iteration"),
        "job": {"id": group.id, "seq": job.group_seq,
                "parameter_values": meta.get("parameter_values"),
                "iteration": meta.get("iteration"),
                "evaluation_index": meta.get("evaluation_index")},
        "execution": {"shots_requested": job.shots,
                      "shots_returned": result.get("shots") if result else None,
                      "compiler": {"name": "kuafu" if job.compile else "none",
                                   "version": __version__,
                                   "optimization_level": 1 if job.compile else 0,
                                   "seed": seed},
                      "method": result.get("method"),
                      "created_at": job.created_at.isoformat(),
                      "started_at": job.started_at.isoformat() if job.started_at else None,
                      "finished_at": job.finished_at.isoformat() if job.finished_at else None},
        "circuit": {"submitted": {"text": job.qasm, "format": "openqasm2"},
                    "measurements": measurements,
                    "executed": {"text": result.get("compiled_qasm") or job.qasm,
                                 "format": "openqasm2"} if result else None},
        "result": {"bit_order": BIT_ORDER, "n_clbits": meta.get("n_clbits"),
                   "classical_registers": meta.get("cregs")},
        "calibration": _calibration(result) if target.chip is not None else None,
        "error": None}
    if state == "Finished" and result:
        out["result"].update(counts=result.get("counts"), shots_returned=result.get("shots"))
    if state == "Failed":
        out["error"] = _error(job)
    if state == "Cancelled":
        out["error"] = {"category": "cancelled", "stage": "dispatcher", "retryable": False,
                        "detail": job.error, "vars": {}}
    return out


def results(session: Session, user: User, group_id: str, offset: int,
            limit: int) -> dict[str, Any]:
    """`GET /jobs/<id>/results`: one page of the columnar table, in task order."""
    group = get(session, user, group_id)
    limit = max(0, min(limit, RESULT_PAGE))
    rows = list(session.scalars(_tasks(session, group).order_by(Job.group_seq)
                                .offset(max(0, offset)).limit(limit)))
    names = [p["name"] for p in group.parameters or []]
    columns: dict[str, list[Any]] = {c: [] for c in (
        "seq", "task_ids", "points", "names", "iterations", "evaluation_index",
        "replicate_index", "status", "shots_returned", "counts", "n_clbits", "errors")}
    for job in rows:
        detail = task_detail(group, job)
        values = detail["job"]["parameter_values"]
        done = detail["status"] == "Finished"
        columns["seq"].append(job.group_seq)
        columns["task_ids"].append(detail["task_id"])
        columns["points"].append([values.get(n) for n in names] if values and names
                                 else None)
        columns["names"].append(detail["name"])
        columns["iterations"].append(detail["iteration"])
        columns["evaluation_index"].append(detail["job"]["evaluation_index"])
        columns["replicate_index"].append(None)
        columns["status"].append(detail["status"])
        columns["shots_returned"].append(detail["result"].get("shots_returned")
                                         if done else None)
        columns["counts"].append(detail["result"].get("counts") if done else None)
        columns["n_clbits"].append(detail["result"]["n_clbits"])
        columns["errors"].append(detail["error"])
    return {"job_id": group.id, "schema_version": 1, "parameters": group.parameters or [],
            "bit_order": BIT_ORDER, "total": _count(session, group), "offset": offset,
            **columns}


# ── ending ──────────────────────────────────────────────────────────

def close(session: Session, user: User, group_id: str) -> dict[str, Any]:
    """`POST /jobs/<id>/close`: no more appends; the tasks run on. Idempotent."""
    group = get(session, user, group_id)
    if group.open:
        group.open = False
        group.closed_at = utcnow()
        chip_sessions.end_for_group(session, group.id)  # commits the group's close too
    counts = tally(session, group)
    return {"job_id": group.id, "open": False, "status": group_status(counts, False),
            "counts": counts}


def cancel(platform: Platform, session: Session, user: User,
           group_id: str) -> dict[str, Any]:
    """`POST /jobs/<id>/cancel`: cancel each task still queued or running through Kuafu's
    `jobs.cancel` (a running emulation is stopped too); an open group is closed."""
    group = get(session, user, group_id)
    pending = list(session.scalars(_tasks(session, group).where(
        Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])).with_only_columns(Job.id)))
    now = stopped = 0
    for job_id in pending:
        answer = jobs.cancel(platform, session, user, job_id)
        if answer.cancelled:
            if answer.started:
                stopped += 1
            else:
                now += 1
    if group.open:
        group.open = False
        group.closed_at = utcnow()
        chip_sessions.end_for_group(session, group.id, "job cancelled")  # commits
    counts = tally(session, group)
    return {"job_id": group.id, "cancelled_now": now + stopped, "stopped_running": stopped,
            "cancel_requested": 0, "status": group_status(counts, False), "open": False,
            "counts": counts}

