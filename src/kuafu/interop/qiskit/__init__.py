"""Qiskit interoperability: circuit conversion both ways and a Qiskit `BackendV2`.

    from qiskit import QuantumCircuit, transpile
    from kuafu.interop.qiskit import KuafuBackend

    backend = KuafuBackend("ScQ-P10")                      # local emulated chip
    # backend = KuafuBackend.remote(kuafu.Client(), "ScQ-P10")   # through a Kuafu server
    counts = backend.run(transpile(qc, backend), shots=1000).result().get_counts()

Needs `qiskit` (`pip install kuafu-cloud[qiskit]`).
"""

from .backend import KuafuBackend, KuafuJob
from .convert import from_qiskit, to_qiskit
from .target import target_from_device

__all__ = ["KuafuBackend", "KuafuJob", "from_qiskit", "target_from_device", "to_qiskit"]
