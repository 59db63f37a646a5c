"""The server's way into the quantum core: backends by name, the chips' calibration,
and one job's run, as the API processes and the workers (`kuafu.server.worker`) both
need them. Validation before acceptance is `services.execution`'s.
"""

from __future__ import annotations

import functools
from typing import Any

from ...circuit import QuantumCircuit
from ...schemas import JobResult
from ..errors import NotFound

__all__ = ["agent_systems", "backend_names", "backend_status", "calibration_snapshot",
           "device_of", "engine_families", "get_backend", "result_record", "run",
           "warm_engines"]


@functools.lru_cache(maxsize=1)
def _backend_names() -> tuple[str, ...]:
    from ... import backends

    return tuple(backends.available())


def backend_names() -> list[str]:
    """Names of the backends, looked up once per process (a chip added as a data file
    or plug-in appears after a restart)."""
    return list(_backend_names())


@functools.lru_cache(maxsize=64)
def get_backend(name: str) -> Any:
    """The backend object called `name` (kept: backends hold no job state).

    Raises:
        NotFound: naming the backends that exist.
    """
    from ... import backends

    if not isinstance(name, str) or len(name) > 64:
        raise NotFound("unknown backend")
    try:
        return backends.get(name)
    except (KeyError, ValueError, LookupError):
        raise NotFound(f"unknown backend {name!r}; available: "
                       f"{', '.join(backend_names())}") from None


def device_of(name: str) -> Any:
    return get_backend(name).device


def backend_status(backend_name: str) -> str:
    return str(get_backend(backend_name).status().status)


def calibration_snapshot(device: Any) -> dict[str, Any]:
    """Id and time of the calibration a device holds now, recorded with each result."""
    when = getattr(device, "calibrated_at", None)
    return {"id": device.calibration_id, "time": when.isoformat() if when else None}


def run(qasm_text: str, backend: str, shots: int, compile: bool,
        seed: int | None, calibration: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one job (in a worker process) and return its result as plain JSON data.

    `calibration` places the run on its chip's drifting timeline (a
    `backends.timeline.CalibrationPoint` as a dict; issue 18): compiled for the snapshot
    in force, simulated with the noise of that moment, the result naming the snapshot.
    """
    circuit = _parsed(qasm_text)
    target = get_backend(backend)
    if calibration is not None:
        from ...backends.timeline import CalibrationPoint, run_at

        out = run_at(target, circuit, shots, point=CalibrationPoint.from_dict(calibration),
                     compile=compile, seed=seed)
    else:
        out = target.run(circuit, shots, compile=compile, seed=seed)
    return result_record(out, target.device, shots)


@functools.lru_cache(maxsize=256)
def _parsed(qasm_text: str) -> QuantumCircuit:
    """The circuit of a program a worker ran before (users resubmit the same few
    programs; nothing downstream changes a circuit it is given)."""
    from ... import qasm

    return qasm.loads(qasm_text)


def result_record(out: Any, device: Any, shots: int) -> dict[str, Any]:
    """A backend's result (`BackendResult`) as the store keeps it: the fields of
    `schemas.JobResult`, under the same names (the JSON form the API answers with).
    A result that names no calibration gets its chip's (`Device.calibration_id`); the
    server adds what only it knows: the software versions (`SERVER_ADDED`)."""
    data = out.to_dict()
    if data.get("calibration_id") is None and device is not None:
        data["calibration_id"] = device.calibration_id
        data["calibrated_at"] = device.calibrated_at
    data["shots"] = shots
    data["method"] = data.get("method") or None
    from ...backends.timeline import software_versions

    data["software"] = software_versions()
    return JobResult.model_validate(
        {name: data[name] for name in JobResult.model_fields if name in data}
    ).model_dump(mode="json")


@functools.lru_cache(maxsize=1)
def agent_systems() -> dict[int, str]:
    """system_id -> name of each backend whose jobs a polling device agent runs; the
    scheduler leaves their jobs in the queue for the agent."""
    from ...backends import RemoteDevice

    found: dict[int, str] = {}
    for name in backend_names():
        try:
            backend = get_backend(name)
        except Exception:  # a broken plug-in is reported where it is listed
            continue
        if isinstance(backend, RemoteDevice):
            found[backend.system_id] = name
    return found


def engine_families() -> tuple[str, ...]:
    """The families of simulator kernels `warm_engines` compiles (`kuafu.backends.warm`)."""
    from ...backends.warm import FAMILIES

    return FAMILIES


def warm_engines(family: str) -> float:
    """Compile (or load from numba's cache) one family of simulator kernels by running
    small circuits (`kuafu warm` runs every family at once); returns the seconds taken."""
    from ...backends.warm import warm_engines as warm

    return warm(family)
