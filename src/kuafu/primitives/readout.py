"""Readout-error mitigation, tensored: one 2x2 assignment matrix per physical qubit.

Qubit p reads 1 from |0> with probability e0 = p(1|0) and 0 from |1> with e1 = p(0|1):
A_p = [[1 - e0, e1], [e0, 1 - e1]] (columns: the true state). With independent errors
the whole readout is the tensor product of the A_p, and its inverse is the product of
the inverses, so nothing of size 2^n is ever built:

* a Pauli parity over bits S has mitigated value sum_b p(b) prod_{i in S} g_i(b_i) with
  g_i = A_i^{-T} (1, -1) (qubits outside S contribute A^{-T} (1, 1) = (1, 1));
* a distribution over a few bits is corrected by applying each A_p^{-1} along its axis.

The errors come from the chip's calibration data (`from_backend`) or are measured by two
calibration circuits, all qubits prepared in |0> and all in |1> (`measure`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..circuit import QuantumCircuit
from .backend import CountsBackend, backend_width, calibrated_readout, run_circuits


@dataclass(frozen=True)
class ReadoutCalibration:
    """Assignment errors per physical qubit: qubit -> (p(1|0), p(0|1)).

    Attributes:
        errors: the per-qubit error pairs.
        source: `calibration` (the chip's data) or `circuits` (measured).
    """

    errors: Mapping[int, tuple[float, float]] = field(default_factory=dict)
    source: str = "calibration"

    def matrix(self, qubit: int) -> np.ndarray:
        """The 2x2 assignment matrix A (A[measured, prepared]) of a physical qubit."""
        e0, e1 = self.errors.get(qubit, (0.0, 0.0))
        return np.array([[1 - e0, e1], [e0, 1 - e1]])

    def parity_weights(self, qubit: int) -> np.ndarray:
        """g = A^{-T} (1, -1): what a read bit 0 / 1 contributes to a mitigated Z value."""
        e0, e1 = self.errors.get(qubit, (0.0, 0.0))
        det = 1 - e0 - e1
        if det <= 0.05:
            raise ValueError(f"qubit {qubit}: readout errors {e0:.3f}, {e1:.3f} are too "
                             "large to invert")
        return np.array([1 + e0 - e1, -(1 - e0 + e1)]) / det

    def mitigate_probabilities(self, counts: Mapping[str, int],
                               qubits: Sequence[int]) -> dict[str, float]:
        """Quasi-probabilities (may be slightly negative) over the bits of `counts`.

        Args:
            counts: bitstrings with bit 0 rightmost.
            qubits: the physical qubit each bit was read from (bit j from `qubits[j]`).

        Raises:
            ValueError: for more than 20 bits (the dense vector would be too large).
        """
        n = len(qubits)
        if n > 20:
            raise ValueError(f"dense readout mitigation of {n} bits is too large")
        shots = sum(counts.values())
        probs = np.zeros(2**n)
        for key, c in counts.items():
            probs[int(key.replace(" ", ""), 2)] += c / shots
        tensor = probs.reshape((2,) * n)  # axis k is bit n-1-k
        for j, q in enumerate(qubits):
            axis = n - 1 - j
            tensor = np.moveaxis(np.tensordot(np.linalg.inv(self.matrix(q)), tensor,
                                              axes=([1], [axis])), 0, axis)
        flat = tensor.reshape(-1)
        return {format(i, f"0{n}b"): float(v) for i, v in enumerate(flat) if abs(v) > 1e-12}


def from_backend(backend: CountsBackend) -> ReadoutCalibration | None:
    """The chip's calibrated readout errors, or None when the backend publishes none."""
    errors = calibrated_readout(backend)
    return None if errors is None else ReadoutCalibration(errors, "calibration")


def calibration_circuits(qubits: Iterable[int], width: int) -> list[QuantumCircuit]:
    """Two circuits over `width` physical qubits: `qubits` prepared in |0>, then in |1>.

    Bit j reads the j-th qubit of `qubits` (ascending); run them uncompiled, so each
    measurement reads exactly that physical qubit.
    """
    chosen = sorted(set(qubits))
    out = []
    for state in (0, 1):
        qc = QuantumCircuit(width, len(chosen), name=f"readout_cal_{state}")
        if state:
            for q in chosen:
                qc.x(q)
        for j, q in enumerate(chosen):
            qc.measure(q, j)
        out.append(qc)
    return out


def measure(backend: CountsBackend, qubits: Iterable[int], shots: int = 4096, *,
            seed: int | None = None) -> ReadoutCalibration:
    """Measure the assignment errors of physical `qubits` with two calibration circuits.

    The circuits run uncompiled over the backend's width (or just wide enough for
    `qubits` when the backend has no fixed chip), so bit j reads physical qubit j of
    `sorted(qubits)`. The |1> circuit's e1 also includes the X gate's small error.
    """
    chosen = sorted(set(qubits))
    if not chosen:
        return ReadoutCalibration({}, "circuits")
    width = backend_width(backend) or (max(chosen) + 1)
    zeros, ones = run_circuits(backend, calibration_circuits(chosen, width), shots,
                               seed=seed, compile=False)
    n = len(chosen)
    errors = {}
    for j, q in enumerate(chosen):
        e0 = _bit_frequency(zeros.counts, n - 1 - j, "1")
        e1 = _bit_frequency(ones.counts, n - 1 - j, "0")
        errors[q] = (e0, e1)
    return ReadoutCalibration(errors, "circuits")


def _bit_frequency(counts: Mapping[str, int], position: int, value: str) -> float:
    total = sum(counts.values())
    hits = sum(c for key, c in counts.items() if key.replace(" ", "")[position] == value)
    return hits / total
