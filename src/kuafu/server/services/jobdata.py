"""A job's data over its life (issue 18): tags and filters, exact replay, deletion,
export as a reproducibility archive, and retention.

* Tags are kept twice: on the job (for its public form) and one row each in `job_tags`,
  whose (tag, job) index the tag filter reads.
* A replay is a new job with the original's program, options and seed, pinned to the
  calibration point the original ran at (`Job.calibration_pin`), so the worker rebuilds
  the same compiled circuit and noise: the counts are bit-identical when the software
  is the same, and the replay's report says what differs when it is not.
* Deleting a job keeps its row as the ledger (who, when, backend, shots, outcome: usage
  and charges still count it), removes its program and result, and hides it.
* Retention (`retention_days`) removes the payload of jobs finished longer ago, and
  says so on them; the ledger stays.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, insert, null, select, update
from sqlalchemy.orm import Session

from ...schemas import JobCreate, JobCreated, JobStatus
from ..errors import Conflict, InvalidRequest, NotFound
from ..models import Job, JobTag, User, utcnow

logger = logging.getLogger(__name__)

MAX_EXPORT = 1000
"""Most jobs one archive holds."""
MAX_DELETE = 1000
FINAL = (JobStatus.DONE.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value)


# ----- tags and filters ----------------------------------------------------------------

def add_tags(session: Session, rows: list[dict[str, Any]]) -> None:
    """Index the tags of newly stored jobs."""
    pairs = [{"job_id": row["id"], "tag": tag} for row in rows for tag in row.get("tags") or ()]
    if pairs:
        session.execute(insert(JobTag), pairs)


def filtered(stmt: Select, *, tag: str | None = None, since: datetime | None = None,
             until: datetime | None = None) -> Select:
    """`stmt` (over `Job`) without deleted jobs, with the tag and creation-time filters.

    Raises:
        InvalidRequest: `since` after `until`.
    """
    if since is not None and until is not None and since > until:
        raise InvalidRequest("since is after until: nothing can match", code="bad_filter")
    stmt = stmt.where(Job.deleted_at.is_(None))
    if tag is not None:
        stmt = stmt.where(Job.id.in_(select(JobTag.job_id).where(JobTag.tag == tag)))
    if since is not None:
        stmt = stmt.where(Job.created_at >= since)
    if until is not None:
        stmt = stmt.where(Job.created_at < until)
    return stmt


def select_jobs(session: Session, user: User, *, ids: list[str] | None = None,
                group: str | None = None, tag: str | None = None, status: str | None = None,
                backend: str | None = None, name: str | None = None,
                since: datetime | None = None, until: datetime | None = None,
                limit: int = MAX_EXPORT, any_user: bool = False) -> list[Job]:
    """Jobs by ids or by filter (the caller's own; an administrator's `any_user` reaches
    everyone's), oldest first.

    Raises:
        InvalidRequest: no criterion at all, or more jobs than `limit`.
        NotFound: an id that is not a job the caller may reach.
    """
    if not ids and not any(v is not None for v in (group, tag, status, backend, name, since,
                                                    until)):
        raise InvalidRequest("name the jobs: ids, or at least one filter (group, tag, "
                             "status, backend, name, since, until)", code="no_selection")
    stmt = select(Job)
    if not any_user:
        stmt = stmt.where(Job.user_id == user.id)
    stmt = filtered(stmt, tag=tag, since=since, until=until)
    if ids:
        stmt = stmt.where(Job.id.in_([i for i in ids if len(i) <= 32]))
    for column, value in ((Job.group, group), (Job.status, status), (Job.backend, backend),
                          (Job.name, name)):
        if value is not None:
            stmt = stmt.where(column == value)
    rows = list(session.scalars(stmt.order_by(Job.created_at, Job.id).limit(limit + 1)))
    if len(rows) > limit:
        raise InvalidRequest(f"more than {limit} jobs match; narrow the selection",
                             code="too_many_jobs")
    if ids:
        missing = sorted(set(ids) - {j.id for j in rows})
        if missing:
            raise NotFound(f"no job {missing[0]!r}" + (f" (and {len(missing) - 1} more)"
                                                       if len(missing) > 1 else ""))
    return rows


# ----- replay --------------------------------------------------------------------------

def replay(platform: Any, session: Session, user: User, job_id: str) -> JobCreated:
    """Submit a replay of a finished job of the caller's: same program, backend, shots,
    compile option and seed, pinned to the calibration point the original ran at.

    Raises:
        NotFound: no such job of the caller's.
        Conflict: it has not finished with counts, or its payload was removed.
    """
    from . import jobs

    job = jobs.get_job(session, user, job_id)
    if job.payload_removed_at is not None:
        raise Conflict(f"job {job_id} can no longer be replayed: its program and result "
                       f"were removed on {job.payload_removed_at:%Y-%m-%d} (retention)",
                       code="payload_removed")
    if job.status != JobStatus.DONE.value or not job.result:
        raise Conflict(f"job {job_id} is {job.status}: only a job that finished with counts "
                       "can be replayed", code="not_done")
    body = JobCreate(qasm=job.qasm, backend=job.backend, shots=job.shots,
                     compile=job.compile, seed=job.result.get("seed", job.seed),
                     name=f"replay of {job.name or job.id}"[:200], tags=job.tags or [],
                     meta=job.meta)
    created = jobs.submit_job(platform, session, user, body, extra={
        "replay_of": job.id, "calibration_pin": job.result.get("calibration_point")})
    logger.info("replay job=%s of=%s user=%s", created.ids[0], job.id, user.name)
    return created


def replay_report(session: Session, user: User, job_id: str) -> dict[str, Any]:
    """How a replay compares with its original: whether the counts are identical, the
    calibration snapshot of each, and which software versions differ.

    Raises:
        NotFound: no such job of the caller's, or it is not a replay.
    """
    from . import jobs

    job = jobs.get_job(session, user, job_id)
    if job.replay_of is None:
        raise NotFound(f"job {job_id} is not a replay (POST /jobs/{job_id}/replay makes one)")
    original = session.get(Job, job.replay_of)
    theirs = (original.result or {}) if original is not None else {}
    ours = job.result or {}
    finished = job.status == JobStatus.DONE.value and bool(ours)
    v1, v2 = theirs.get("software") or {}, ours.get("software") or {}
    differences = [f"{name}: {v1.get(name, '?')} -> {v2.get(name, '?')}"
                   for name in sorted(set(v1) | set(v2)) if v1.get(name) != v2.get(name)]
    if not v1:
        differences.insert(0, "the original's software versions were not recorded")
    return {
        "job": job.id, "replay_of": job.replay_of, "status": job.status,
        "counts_identical": (ours.get("counts") == theirs.get("counts")) if finished else None,
        "calibration_id": ours.get("calibration_id"),
        "original_calibration_id": theirs.get("calibration_id"),
        "seed": ours.get("seed"), "software": v2 or None, "original_software": v1 or None,
        "software_differs": differences,
    }


# ----- deletion and retention ----------------------------------------------------------

def delete(session: Session, user: User, ids: list[str], *, commit: bool = True) -> list[str]:
    """Delete finished jobs (the caller's; an administrator's, anyone's): their program
    and result are removed and they leave every list, while their rows stay as the
    ledger (usage and charges still count them).

    Raises:
        InvalidRequest: no ids, or too many.
        NotFound: an id that is not a job the caller may reach.
        Conflict: a job still queued or running (cancel it first).
    """
    if not ids:
        raise InvalidRequest("name at least one job to delete", code="no_selection")
    if len(ids) > MAX_DELETE:
        raise InvalidRequest(f"at most {MAX_DELETE} jobs per request", code="too_many_jobs")
    rows = select_jobs(session, user, ids=list(dict.fromkeys(ids)), limit=MAX_DELETE,
                       any_user=user.is_admin)
    live = [j.id for j in rows if j.status not in FINAL]
    if live:
        raise Conflict(f"job {live[0]} is {next(j.status for j in rows if j.id == live[0])}: "
                       "cancel it first (`kuafu cancel`)", code="not_final")
    now = utcnow()
    session.execute(update(Job).where(Job.id.in_([j.id for j in rows]))
                    .values(deleted_at=now, qasm="", result=null(), meta=null()))
    logger.info("jobs_deleted by=%s count=%d ids=%s", user.name, len(rows),
                ",".join(j.id for j in rows[:20]))
    if commit:
        session.commit()  # gone before the answer says so
    return [j.id for j in rows]


def sweep_retention(session: Session, days: float | None,
                    now: datetime | None = None) -> int:
    """Remove the payloads of jobs finished more than `days` ago; how many."""
    if not days:
        return 0
    now = now or utcnow()
    result = session.execute(
        update(Job).where(Job.finished_at < now - timedelta(days=days),
                          Job.status.in_(FINAL), Job.payload_removed_at.is_(None))
        .values(qasm="", result=null(), payload_removed_at=now))
    if result.rowcount:
        logger.info("retention removed the payloads of %d jobs finished before %s",
                    result.rowcount, (now - timedelta(days=days)).isoformat())
    return int(result.rowcount or 0)


# ----- export --------------------------------------------------------------------------

ARCHIVE_README = """# Kuafu jobs: a reproducibility archive

Made by {server} on {made} for {user}: {count} job(s).

Each folder `<job id>/` holds one job:

* `circuit.qasm`: the program as submitted (OpenQASM 2.0);
* `compiled.qasm`: the circuit that ran on the chip (native gates, physical qubits);
* `counts.json`: the counts (classical bit 0 is the rightmost character);
* `job.json`: backend, shots, compile option, seed, name, tags, metadata, times,
  the calibration snapshot id and the calibration point (drift seed, the snapshot in
  force, the moment of the noise, the qubits and couplers marked unusable);
* `calibration.json`: that calibration snapshot (T1, T2, gate and readout fidelities);
* `software.json`: the versions of Kuafu and the libraries that computed the counts.

Replay them, with Kuafu installed and no server:

    kuafu jobs replay --from-archive {name}

With the same software versions the counts are bit-identical; otherwise the replay
runs anyway and says which versions differ and whether the counts match.
"""


def export(session: Session, settings: Any, user: User, jobs: list[Job],
           server: str = "Kuafu") -> bytes:
    """One zip archive of `jobs` (see `ARCHIVE_README`)."""
    from . import calibration

    buffer = io.BytesIO()
    made = utcnow()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = []
        for job in jobs:
            result = job.result or {}
            snapshot = None
            if result.get("calibration_id"):
                try:
                    snapshot = calibration.snapshot_by_id(session, settings,
                                                          result["calibration_id"])
                except (NotFound, InvalidRequest):
                    snapshot = None
            info = {
                "id": job.id, "backend": job.backend, "shots": job.shots,
                "compile": job.compile, "optimization_level": 1 if job.compile else 0,
                "seed": result.get("seed", job.seed), "name": job.name, "group": job.group,
                "tags": job.tags or [], "meta": job.meta, "status": job.status,
                "created_at": _iso(job.created_at), "finished_at": _iso(job.finished_at),
                "method": result.get("method"),
                "calibration_id": result.get("calibration_id"),
                "calibration_point": result.get("calibration_point"),
                "replay_of": job.replay_of,
                "payload_removed_at": _iso(job.payload_removed_at),
            }
            folder = f"{job.id}/"
            archive.writestr(folder + "job.json", _dumps(info))
            archive.writestr(folder + "circuit.qasm", job.qasm or "")
            if result.get("compiled_qasm"):
                archive.writestr(folder + "compiled.qasm", result["compiled_qasm"])
            archive.writestr(folder + "counts.json", _dumps(result.get("counts")))
            archive.writestr(folder + "software.json", _dumps(result.get("software")))
            if snapshot is not None:
                archive.writestr(folder + "calibration.json", _dumps(snapshot))
            manifest.append({"id": job.id, "backend": job.backend, "status": job.status})
        archive.writestr("manifest.json", _dumps({"format": "kuafu.jobs/1",
                                                  "made_at": _iso(made), "jobs": manifest}))
        archive.writestr("README.md", ARCHIVE_README.format(
            server=server, made=f"{made:%Y-%m-%d %H:%M} UTC", user=user.name,
            count=len(jobs), name=f"kuafu-jobs-{made:%Y%m%dT%H%M%S}.zip"))
    return buffer.getvalue()


def _dumps(data: Any) -> str:
    return json.dumps(data, indent=1, default=str, sort_keys=True) + "\n"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def replay_archive(path: Path) -> list[dict[str, Any]]:
    """Replay each job of an export archive locally; a report per job.

    Raises:
        ValueError: not a Kuafu archive.
    """
    from ... import backends, qasm
    from ...backends.timeline import CalibrationPoint, run_at, software_versions

    try:
        archive = zipfile.ZipFile(path)
        manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValueError(f"{path} is not a Kuafu jobs archive: {exc}") from None
    here = software_versions()
    reports = []
    for entry in manifest.get("jobs", []):
        folder = f"{entry['id']}/"
        info = json.loads(archive.read(folder + "job.json"))
        if info.get("status") != "done" or info.get("payload_removed_at"):
            reports.append({"job": info["id"], "counts_identical": None,
                            "status": info.get("status"), "seed": info.get("seed")})
            continue
        text = archive.read(folder + "circuit.qasm").decode()
        counts = json.loads(archive.read(folder + "counts.json"))
        theirs = json.loads(archive.read(folder + "software.json")) or {}
        backend = backends.get(info["backend"])
        circuit = qasm.loads(text)
        point = info.get("calibration_point")
        if point:
            out = run_at(backend, circuit, info["shots"], compile=info["compile"],
                         seed=info["seed"], point=CalibrationPoint.from_dict(point))
        else:
            out = backend.run(circuit, info["shots"], compile=info["compile"],
                              seed=info["seed"])
        reports.append({
            "job": info["id"], "status": "done", "seed": info["seed"],
            "counts_identical": dict(out.counts) == counts,
            "calibration_id": getattr(out, "calibration_id", None) or info.get(
                "calibration_id"),
            "software_differs": [f"{k}: {theirs.get(k, '?')} -> {here.get(k, '?')}"
                                 for k in sorted(set(theirs) | set(here))
                                 if theirs.get(k) != here.get(k)]})
    return reports
