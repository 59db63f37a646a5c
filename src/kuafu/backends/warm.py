"""Kernels compiled ahead: small circuits through each family of engines.

`kuafu warm` (which `make demo` runs after installing) calls `warm_engines` for every family
of `FAMILIES` in separate processes at once, so a fresh installation's first jobs load numba
caches instead of compiling kernels while a user waits (numba writes each kernel's cache on
its own, so the processes do not clash).
"""

from __future__ import annotations

import time

from ..circuit import QuantumCircuit

__all__ = ["FAMILIES", "warm_engines"]

FAMILIES = ("statevector", "statevector-single", "density-matrix", "trajectories", "mps",
            "emulator")
"""Groups of kernels, each compiled by one process (`warm_engines`)."""


def _brickwork(n: int, layers: int = 4) -> QuantumCircuit:
    qc = QuantumCircuit(n, n)
    for layer in range(layers):
        for q in range(n):
            qc.u3(0.1 * q + layer, 0.2, 0.3, q)
        for q in range(layer % 2, n - 1, 2):
            qc.cx(q, q + 1)
    qc.measure(list(range(n)), list(range(n)))
    return qc


def _dynamic() -> QuantumCircuit:
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    qc.x(2).c_if(0, 1)
    qc.reset(1)
    qc.measure([1, 2], [1, 2])
    return qc


def warm_engines(family: str) -> float:
    """Run small circuits through one family of `FAMILIES`; returns the seconds taken.

    Raises:
        ValueError: for an unknown family.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; families: {', '.join(FAMILIES)}")
    start = time.perf_counter()
    from ..sim import NoiseModel, depolarizing, readout_error, simulate, thermal_relaxation

    noise = (NoiseModel()
             .with_gate_error(thermal_relaxation(5e4, 3e4, 50).compose(depolarizing(0.01)))
             .with_gate_error(depolarizing(0.02, 2))
             .with_readout_error(readout_error(0.02)))
    if family.startswith("statevector"):
        precision = "single" if family.endswith("single") else "double"
        for n in (4, 12, 18):
            simulate(_brickwork(n), 10, method="statevector", precision=precision, seed=0)
        simulate(_dynamic(), 10, method="statevector", precision=precision, seed=0)
    elif family == "density-matrix":
        for n in (3, 8):
            for precision in ("double", "single"):
                simulate(_brickwork(n), 10, noise=noise, method="density_matrix",
                         precision=precision, seed=0)
        simulate(_dynamic(), 10, noise=noise, method="density_matrix", seed=0)
    elif family == "trajectories":
        for n in (3, 10, 16):
            simulate(_brickwork(n, 2), 10, noise=noise, method="trajectories", seed=0)
        simulate(_dynamic(), 10, noise=noise, method="trajectories", seed=0)
    elif family == "mps":
        try:
            simulate(_brickwork(12), 10, noise=noise, method="mps", seed=0)
            simulate(_dynamic(), 10, method="mps", seed=0)
        except ImportError:  # an installation without the MPS engine
            pass
    else:  # a chip's emulator: compiler, noise model, the engines auto picks for small jobs
        from .registry import get

        chip = get("ScQ-P10")
        chip.run(_brickwork(2, 1), 10)
        chip.run(_brickwork(4, 2), 10)
    return time.perf_counter() - start
