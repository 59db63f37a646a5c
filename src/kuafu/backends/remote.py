"""`RemoteDevice`: a real chip served by a device agent that polls the server for work.

A lab's control computer cannot usually be reached from outside, so its agent calls
out: it asks the Kuafu server for the next task of its `system_id`, runs it on the
hardware, and posts the counts back. That is the protocol of Quafu's device agents,
which Kuafu accepts unchanged (docs/quafu.md):

    GET  /qbackend/scq_task/?system_id=N  ->  {"task_id", "qubits", "circuit", "shots"} or null
    POST /qbackend/scq_result/  (form)       task_id, status ("finished" | "failed"),
                                             res (JSON counts), raw, measure, server

The circuit an agent receives is OpenQASM 2 already compiled for the chip (native gates,
qubit i is physical qubit i); count keys in `res` put classical bit 0 LEFTMOST, as Quafu
does (Kuafu's own keys put it rightmost; `kuafu.circuit.counts.from_quafu_counts`
converts).

A `RemoteDevice` is registered like any backend, through an entry point in group
`kuafu.backends` whose callable returns it. The server never calls `run` on it: its jobs
wait in the store until the agent fetches them (`prepare` compiles one for the chip and
`finish` turns the agent's counts into a `BackendResult`).

`python -m kuafu.backends.remote --url URL --system-id N` runs an agent of Kuafu's own
that serves the tasks on a local Kuafu backend (the ideal simulator by default): a
template for a real agent, and what the tests run.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..circuit import QuantumCircuit
from ..circuit.counts import from_quafu_counts, to_quafu_counts
from ..devices import Device
from .base import Backend, BackendResult, check_run_arguments
from .qasm_text import to_qasm

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedTask:
    """A circuit made ready for the chip, and how (what `finish` needs to report).

    Attributes:
        circuit: native and mapped for the chip (qubit i is physical qubit i).
        qasm: `circuit` as OpenQASM 2, the text the agent receives.
        initial_mapping: circuit qubit -> physical qubit at the start.
        final_mapping: circuit qubit -> physical qubit at the end.
        stats: the compiler's statistics.
        compile_seconds: time spent compiling.
    """

    circuit: QuantumCircuit
    qasm: str
    initial_mapping: Mapping[int, int]
    final_mapping: Mapping[int, int]
    stats: Mapping[str, Any] = field(default_factory=dict)
    compile_seconds: float = 0.0


class RemoteDevice(Backend):
    """A chip whose jobs are run by a device agent that polls the server.

    Args:
        device: the chip's description (topology, native gates, calibration), used to
            validate and compile jobs and shown to users.
        system_id: the number the agent asks for tasks with (Quafu's `system_id`).
        name: the backend's name (default: the device's).
        agent_token: when set, an agent must send it in the `api_token` header; when
            None, any caller that reaches the server may act as this chip's agent.
    """

    def __init__(self, device: Device, system_id: int, *, name: str | None = None,
                 agent_token: str | None = None) -> None:
        if not isinstance(system_id, int) or system_id < 0:
            raise ValueError(f"system_id must be a non-negative integer, got {system_id!r}")
        self._device = device
        self.name = name or device.name
        self.system_id = system_id
        self.agent_token = agent_token

    @property
    def device(self) -> Device:
        return self._device

    def prepare(self, circuit: QuantumCircuit, *, compile: bool = True,
                seed: int | None = None, optimization_level: int = 1) -> PreparedTask:
        """Compile `circuit` for the chip (or check it is native and mapped).

        The same circuit, seed and level always give the same `PreparedTask`.

        Raises:
            CompileError: the circuit does not fit or cannot be compiled for the chip.
        """
        start = time.perf_counter()
        self.check(circuit, compile=compile)
        if compile:
            out = _compile(circuit, self._device, optimization_level, seed)
            native, initial, final, stats = (out.circuit, dict(out.initial_mapping),
                                             dict(out.final_mapping), dict(out.stats))
        else:
            native, stats = circuit, {}
            initial = final = {q: q for q in range(circuit.num_qubits)}
        text = to_qasm(native)
        if text is None:
            raise ValueError("the compiled circuit cannot be written as OpenQASM 2")
        return PreparedTask(native, text, initial, final, stats,
                            time.perf_counter() - start)

    def finish(self, prepared: PreparedTask, quafu_counts: Mapping[str, int], *,
               shots: int, seed: int | None = None) -> BackendResult:
        """The result of a task from the counts its agent posted (Quafu bit order).

        Raises:
            ValueError: a count key of the wrong length or not made of 0 and 1.
        """
        counts = from_quafu_counts(quafu_counts, prepared.circuit.num_clbits)
        return BackendResult(
            backend=self.name, shots=shots, counts=counts, compiled_qasm=prepared.qasm,
            initial_mapping=prepared.initial_mapping, final_mapping=prepared.final_mapping,
            physical_qubits=self._device.qubits, method="device",
            timings={"compile": prepared.compile_seconds}, seed=seed,
            calibration_id=self._device.calibration_id,
            calibrated_at=self._device.calibrated_at,
            metadata={"compiler": dict(prepared.stats), "system_id": self.system_id})

    def run(self, circuit: QuantumCircuit, shots: int = 1024, *, compile: bool = True,
            seed: int | None = None, optimization_level: int = 1) -> BackendResult:
        """Not available in process: a remote device's jobs go through a Kuafu server,
        where its agent fetches them.

        Raises:
            NotImplementedError: always, saying how to run on this chip instead.
        """
        check_run_arguments(shots, optimization_level)
        raise NotImplementedError(
            f"{self.name} is a remote device served by an agent (system_id "
            f"{self.system_id}); submit jobs to a Kuafu server (kuafu.Client or pyquafu), "
            "not to the backend object")


def _compile(circuit: QuantumCircuit, device: Device, level: int, seed: int | None) -> Any:
    from ..compiler import compile  # the router (numba) loads on first use

    return compile(circuit, device, optimization_level=level, seed=seed)


def parse_counts_text(text: str) -> dict[str, int]:
    """Counts an agent posted as text: JSON, or a Python dict literal as Quafu writes it.

    Never evaluates code (`ast.literal_eval` accepts literals only).

    Raises:
        ValueError: the text is neither, or not a mapping.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise ValueError(f"res is not a JSON object of counts: {text[:80]!r}") from None
    if not isinstance(value, dict):
        raise ValueError(f"res must be a JSON object of counts, got {type(value).__name__}")
    return {str(k): v for k, v in value.items()}


# ----- an agent of Kuafu's own ---------------------------------------------------------

def serve_agent(url: str, system_id: int, *, backend: str = "simulator",
                token: str | None = None, interval: float = 0.2,
                stop: threading.Event | None = None, max_tasks: int | None = None) -> int:
    """Poll `url` for tasks of `system_id`, run each on a local Kuafu backend, post back.

    Args:
        url: the server's root (`http://host:port`).
        system_id: the chip's number.
        backend: the local Kuafu backend that stands in for the hardware.
        token: sent as the `api_token` header when the device requires one.
        interval: seconds between polls while there is nothing to do.
        stop: set it to end the loop.
        max_tasks: end after that many tasks (None: run until stopped).

    Returns:
        How many tasks were served.
    """
    import httpx

    from .. import qasm
    from .registry import get

    local = get(backend)
    headers = {"api_token": token} if token else {}
    served = 0
    with httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=30) as http:
        while not (stop and stop.is_set()) and (max_tasks is None or served < max_tasks):
            try:
                task = http.get("/qbackend/scq_task/", params={"system_id": system_id})
                task.raise_for_status()
                body = task.json()
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning("fetching a task failed: %s", exc)
                body = None
            if not body:
                time.sleep(interval)
                continue
            form = _run_task(body, local, qasm, system_id)
            http.post("/qbackend/scq_result/", data=form).raise_for_status()
            served += 1
    return served


def _run_task(task: Mapping[str, Any], local: Backend, qasm: Any,
              system_id: int) -> dict[str, str]:
    """Run one fetched task locally; the form to post back (Quafu's field names)."""
    form = {"task_id": str(task["task_id"]), "server": str(system_id)}
    try:
        circuit = qasm.loads(task["circuit"])
        result = local.run(circuit, int(task["shots"]), compile=False)
    except Exception as exc:  # a real device reports its failures the same way
        logger.warning("task %s failed: %s", task["task_id"], exc)
        return {**form, "status": "failed", "raw": f"{type(exc).__name__}: {exc}",
                "res": "", "measure": ""}
    counts = json.dumps(to_quafu_counts(result.counts))
    measured = sorted({q for inst in circuit.instructions if inst.name == "measure"
                       for q in inst.qubits})
    return {**form, "status": "finished", "res": counts, "raw": counts,
            "measure": str(measured)}


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m kuafu.backends.remote --url URL --system-id N [--backend NAME]`."""
    parser = argparse.ArgumentParser(prog="python -m kuafu.backends.remote",
                                     description="a device agent that serves a Kuafu "
                                     "server's remote device on a local Kuafu backend")
    parser.add_argument("--url", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--system-id", type=int, required=True)
    parser.add_argument("--backend", default="simulator", help="local backend that runs tasks")
    parser.add_argument("--token", default=None, help="the device's agent token, if it has one")
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between polls")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s agent %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        serve_agent(args.url, args.system_id, backend=args.backend, token=args.token,
                    interval=args.interval)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
