"""A Qiskit user's script, unchanged, running on a Kuafu backend.

Everything below `run_script` is plain Qiskit: build circuits, `transpile` them for the
backend, `backend.run(..., shots=...)`, `result().get_counts()`. Only the line that
picks the backend differs from a script written for Aer: here it is
`KuafuBackend("ScQ-P18")` (a local emulated chip), or `KuafuBackend.remote(kuafu.Client(),
"ScQ-P18")` when KUAFU_URL names a Kuafu server.

    python examples/qiskit_user.py       # KUAFU_URL=http://host:8000 KUAFU_TOKEN=... for a server
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import shots


def run_script(backend, num_shots: int = 2000) -> dict:
    """The user's unchanged Qiskit code; `backend` is any Qiskit BackendV2."""
    # 1. a Bell pair and a 4-qubit GHZ state
    bell = QuantumCircuit(2, 2, name="bell")
    bell.h(0)
    bell.cx(0, 1)
    bell.measure([0, 1], [0, 1])

    ghz = QuantumCircuit(4, name="ghz")
    ghz.h(0)
    for q in range(3):
        ghz.cx(q, q + 1)
    ghz.measure_all()

    # 2. a parameterised circuit, bound to a few angles
    theta = Parameter("θ")
    rot = QuantumCircuit(1, 1, name="rot")
    rot.ry(theta, 0)
    rot.measure(0, 0)
    angles = [0.0, np.pi / 3, np.pi / 2, np.pi]
    bound = [rot.assign_parameters({theta: a}) for a in angles]

    circuits = transpile([bell, ghz, *bound], backend, optimization_level=2,
                         seed_transpiler=11)
    job = backend.run(circuits, shots=num_shots)
    result = job.result()
    counts = [result.get_counts(i) for i in range(len(circuits))]
    p_one = [c.get("1", 0) / num_shots for c in counts[2:]]
    return {"bell": counts[0], "ghz": counts[1], "p_one": p_one,
            "expected_p_one": [float(np.sin(a / 2) ** 2) for a in angles]}


def kuafu_backend():
    """The only Kuafu-specific line: which chip, local or behind a server."""
    from kuafu.interop.qiskit import KuafuBackend

    if os.environ.get("KUAFU_URL"):
        import kuafu

        return KuafuBackend.remote(kuafu.Client(), "ScQ-P18")
    return KuafuBackend("ScQ-P18")


def main(num_shots: int | None = None) -> dict:
    num_shots = num_shots or shots(2000)
    backend = kuafu_backend()
    out = run_script(backend, num_shots)
    print(f"backend: {backend.name} ({backend.num_qubits} qubits; target ops "
          f"{sorted(backend.target.operation_names)})")
    print("Bell counts:", dict(sorted(out["bell"].items())))
    print("GHZ-4 counts (top 4):", dict(sorted(out["ghz"].items(), key=lambda kv: -kv[1])[:4]))
    print("P(1) after RY(θ):", ", ".join(f"{p:.3f} (exact {e:.3f})" for p, e in
                                         zip(out["p_one"], out["expected_p_one"], strict=True)))
    return out


if __name__ == "__main__":
    main()
