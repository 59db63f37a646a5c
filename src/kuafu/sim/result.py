"""`SimResult` and the helpers that turn sampled classical bits into counts.

Bit order, the same everywhere in Kuafu: count keys print the classical register with
classical bit 0 rightmost, as Qiskit does ("01" means clbit 0 read 1, clbit 1 read 0).
Engines produce a (shots, num_clbits) uint8 array of bits, column c = classical bit c.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from ..circuit.counts import counts_summary
from .channels import ReadoutError


@dataclass(frozen=True)
class SimResult:
    """The outcome of `simulate`.

    Attributes:
        counts: bitstring (classical bit 0 rightmost) -> number of shots.
        shots: number of shots.
        method: the engine that ran: "statevector", "density_matrix", "trajectories",
            "stabilizer" or "mps"; for a split circuit the parts' methods joined by "+".
        seed: the seed used (drawn from the OS when none was given, so every run can be
            repeated).
        memory: one bitstring per shot in shot order, when asked for.
        time_taken: wall-clock seconds of the whole call.
        timings: seconds per phase ("prepare", "run", "sample"), as the engine reports them.
        num_qubits: width of the circuit.
        method_details: the method's details: "parts" (each independent part's qubits, method
            and details) when the circuit was split, "simulated_qubits"; for MPS
            "bond_dimension" (the largest bond dimension reached), "discarded_weight" and
            "fidelity_estimate" (1.0 when nothing was truncated), "trajectories".
    """

    counts: dict[str, int]
    shots: int
    method: str
    seed: int | None
    memory: list[str] | None = None
    time_taken: float = 0.0
    timings: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    num_qubits: int = 0
    method_details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def probabilities(self) -> dict[str, float]:
        """counts / shots."""
        return {k: v / self.shots for k, v in self.counts.items()} if self.shots else {}

    def __repr__(self) -> str:
        """One line: shots, method, seed and the most frequent outcomes."""
        return (f"<SimResult shots={self.shots} method={self.method} seed={self.seed}"
                f" counts={counts_summary(self.counts)}>")


def bits_to_strings(bits: np.ndarray) -> np.ndarray:
    """A (shots, n) 0/1 array as an array of n-character strings, column 0 rightmost."""
    shots, n = bits.shape
    if n == 0:
        return np.array([""] * shots)
    chars = (bits[:, ::-1].astype(np.uint8) + ord("0")).copy()
    return chars.view(f"S{n}").reshape(shots).astype(str)


def counts_from_bits(bits: np.ndarray) -> dict[str, int]:
    """Histogram of the rows of a (shots, n) bit array, keyed by bitstrings (bit 0 rightmost)."""
    shots, n = bits.shape
    if shots == 0:
        return {}
    if n <= 62:
        weights = np.left_shift(1, np.arange(n, dtype=np.int64))
        values = bits.astype(np.int64) @ weights
        uniq, counts = np.unique(values, return_counts=True)
        return {format(int(v), f"0{n}b") if n else "": int(c)
                for v, c in zip(uniq, counts, strict=True)}
    uniq, counts = np.unique(bits_to_strings(bits), return_counts=True)
    return {str(k): int(c) for k, c in zip(uniq, counts, strict=True)}


def apply_readout(true_bits: np.ndarray, error: ReadoutError | None,
                  rng: np.random.Generator) -> np.ndarray:
    """What a noisy readout reports for true measurement outcomes `true_bits` (0/1 array)."""
    if error is None:
        return true_bits
    p01, p10 = error.flip_probabilities
    flip_p = np.where(true_bits == 1, p10, p01)
    flips = rng.random(true_bits.shape) < flip_p
    return (true_bits ^ flips).astype(np.uint8)


def write_terminal(bits: np.ndarray, indices: np.ndarray,
                   terminal: Sequence[tuple[int, int, ReadoutError | None]],
                   rng: np.random.Generator) -> None:
    """Write terminal measurements of sampled basis `indices` into `bits`, in place.

    Args:
        bits: (shots, num_clbits) uint8, holding the bits before these measurements.
        indices: (shots,) sampled basis-state indices, little-endian.
        terminal: (qubit, clbit, readout error) in program order.
        rng: draws readout flips.
    """
    for q, c, readout in terminal:
        true = ((indices >> q) & 1).astype(np.uint8)
        bits[:, c] = apply_readout(true, readout, rng)
