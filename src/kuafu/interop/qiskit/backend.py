"""`KuafuBackend`: a Qiskit `BackendV2` that runs on a Kuafu chip, local or remote.

    backend = KuafuBackend("ScQ-P18")                            # local emulator
    backend = KuafuBackend.remote(kuafu.Client(url, token), "ScQ-P18")   # a server
    job = backend.run(transpile(qc, backend), shots=2000, seed=7)
    job.result().get_counts()                                    # Qiskit's formats

A circuit that is already native for the chip and laid out on it (what `transpile(qc,
backend)` returns) runs as it is; any other circuit is compiled by Kuafu's compiler
first (option `compile` forces either). All circuits of one `run` go to a server in ONE
batch request.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np
import qiskit
from qiskit.providers import BackendV2, JobStatus, JobV1, Options
from qiskit.result import Result

import kuafu

from ...circuit import QuantumCircuit
from ...devices import Device
from ...errors import CompileError
from .convert import from_qiskit
from .target import target_from_device


class KuafuBackend(BackendV2):
    """A Kuafu chip as a Qiskit backend.

    Args:
        backend: a Kuafu backend name (`ScQ-P10`) or a `kuafu.backends.Backend` object
            that has a device.
        client: with a name: run on this `kuafu.Client`'s server instead of locally (see
            `remote`).
    """

    def __init__(self, backend: Any = "ScQ-P10", *, client: Any = None) -> None:
        self._client = client
        if client is not None:
            name = str(backend)
            self._kuafu = None
            self._device = _device_from_detail(client.backend(name))
        else:
            if isinstance(backend, str):
                from ... import backends

                backend = backends.get(backend)
            if backend.device is None:
                raise ValueError(f"{backend.name} has no chip to build a Target from")
            self._kuafu = backend
            self._device = backend.device
            name = backend.name
        super().__init__(name=f"kuafu.{name}", backend_version=kuafu.__version__,
                         description=f"Kuafu {'server' if client else 'emulated'} chip {name}")
        self.kuafu_name = name
        self._target = target_from_device(self._device)

    @classmethod
    def remote(cls, client: Any, name: str) -> KuafuBackend:
        """A chip behind a Kuafu server (`client` is a `kuafu.Client`)."""
        return cls(name, client=client)

    @property
    def device(self) -> Device:
        """The Kuafu chip description the target was built from."""
        return self._device

    @property
    def target(self):
        return self._target

    @property
    def max_circuits(self) -> int | None:
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=1024, seed=None, seed_simulator=None, compile=None,
                       optimization_level=1, memory=False)

    def run(self, run_input: qiskit.QuantumCircuit | Sequence[qiskit.QuantumCircuit],
            **options: Any) -> KuafuJob:
        """Run one circuit or a list.

        Options: `shots`; `seed` (or Qiskit's `seed_simulator`); `compile` (None: only
        circuits that are not native and laid out); `optimization_level`; `memory`: per-
        shot bitstrings, rebuilt from the counts in a seeded random order (shots are
        independent, so this is a faithful sample; Qiskit's `BackendSamplerV2` needs it).

        Returns:
            A `KuafuJob`; its `result()` is a Qiskit `Result` with counts per circuit.
        """
        unknown = set(options) - set(self.options.__dict__)
        if unknown:
            raise ValueError(f"unknown run options {sorted(unknown)}")
        opts = {**self.options.__dict__, **options}
        if opts["seed"] is None:
            opts["seed"] = opts["seed_simulator"]
        circuits = [run_input] if isinstance(run_input, qiskit.QuantumCircuit) else list(
            run_input)
        converted = [from_qiskit(qc) for qc in circuits]
        flags = [self._needs_compile(c) if opts["compile"] is None else bool(opts["compile"])
                 for c in converted]
        job = KuafuJob(self, uuid.uuid4().hex, circuits, memory=bool(opts["memory"]),
                       seed=opts["seed"])
        if self._client is not None:
            job._remote = self._submit_remote(converted, flags, opts)
        else:
            job._results = [
                self._kuafu.run(c, int(opts["shots"]), compile=flag, seed=opts["seed"],
                                optimization_level=opts["optimization_level"])
                for c, flag in zip(converted, flags, strict=True)]
        return job

    def _needs_compile(self, circuit: QuantumCircuit) -> bool:
        from ...compiler import check_native

        if circuit.num_qubits != self._device.num_qubits:
            return True
        try:
            check_native(circuit, self._device)
        except CompileError:
            return True
        return False

    def _submit_remote(self, circuits: list[QuantumCircuit], flags: list[bool],
                       opts: dict[str, Any]) -> list[Any]:
        jobs: list[Any] = [None] * len(circuits)
        for flag in (True, False):  # one request per compile setting (usually just one)
            index = [i for i, f in enumerate(flags) if f == flag]
            if not index:
                continue
            batch = self._client.submit_batch([circuits[i] for i in index],
                                              backend=self.kuafu_name,
                                              shots=int(opts["shots"]), compile=flag,
                                              seed=opts["seed"], name="qiskit")
            for i, job in zip(index, batch, strict=True):
                jobs[i] = job
        return jobs

    def __repr__(self) -> str:
        where = getattr(self._client, "url", None)
        return f"<KuafuBackend {self.kuafu_name}{' at ' + where if where else ''}>"


class KuafuJob(JobV1):
    """The job of one `KuafuBackend.run`: local results at once, remote ones on demand."""

    def __init__(self, backend: KuafuBackend, job_id: str,
                 circuits: list[qiskit.QuantumCircuit], *, memory: bool = False,
                 seed: int | None = None) -> None:
        super().__init__(backend, job_id)
        self._circuits = circuits
        self._memory = memory
        self._seed = seed
        self._results: list[Any] | None = None
        self._remote: list[Any] | None = None

    def submit(self) -> None:  # run() submits already
        """Not needed: `KuafuBackend.run` has submitted the job already."""
        raise NotImplementedError("KuafuBackend.run submits the job")

    def result(self, timeout: float | None = None) -> Result:
        """Wait for every circuit and return Qiskit's `Result`."""
        if self._results is None:
            self._results = [job.result(timeout=timeout, progress=False)
                             for job in self._remote or []]
        rng = np.random.default_rng(self._seed)
        experiments = [_experiment(qc, r, rng if self._memory else None)
                       for qc, r in zip(self._circuits, self._results, strict=True)]
        return Result.from_dict({
            "backend_name": self._backend.name, "backend_version": kuafu.__version__,
            "job_id": self._job_id, "qobj_id": self._job_id, "success": True,
            "results": experiments})

    def status(self) -> JobStatus:
        """Qiskit's `JobStatus` of the Kuafu job."""
        if self._results is not None:
            return JobStatus.DONE
        states = {str(job.status()) for job in self._remote or []}
        if states <= {"done"}:
            return JobStatus.DONE
        if states & {"failed"}:
            return JobStatus.ERROR
        if states & {"cancelled"}:
            return JobStatus.CANCELLED
        return JobStatus.RUNNING if "running" in states else JobStatus.QUEUED


def _experiment(qc: qiskit.QuantumCircuit, result: Any,
                rng: np.random.Generator | None) -> dict[str, Any]:
    counts = {hex(int(key.replace(" ", ""), 2)): n for key, n in dict(result.counts).items()}
    data: dict[str, Any] = {"counts": counts}
    if rng is not None:
        shots = np.repeat(np.array(list(counts), dtype=object), list(counts.values()))
        data["memory"] = rng.permutation(shots).tolist()
    return {
        "shots": int(result.shots), "success": True, "data": data,
        "header": {"name": qc.name, "memory_slots": qc.num_clbits,
                   "creg_sizes": [[r.name, r.size] for r in qc.cregs],
                   "qubit_labels": [[r.name, i] for r in qc.qregs for i in range(r.size)],
                   "n_qubits": qc.num_qubits},
        "metadata": {"method": getattr(result, "method", None)},
    }


def _device_from_detail(detail: Any) -> Device:
    """Rebuild the chip description from a server's `BackendDetail`."""
    data = detail.calibration_data or {}
    names = data.get("qubit_names")
    if not names:
        raise ValueError(f"the server publishes no topology for {detail.name}")
    return Device.from_dict({
        "name": detail.name,
        "qubits": names,
        "couplers": [[names[a], names[b]] for a, b in detail.coupling_map],
        "native_gates": detail.native_gates,
        "durations_ns": data.get("durations_ns", {}),
        "calibration": {"qubits": data["qubits"], "couplers": data["couplers"]},
        "status": detail.status if detail.status in ("online", "maintenance", "offline")
        else "online",
    })
