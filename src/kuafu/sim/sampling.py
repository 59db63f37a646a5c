"""Sampling measurement outcomes from a statevector, and turning them into counts.

Bit order (the same everywhere in Kuafu): a basis index is little-endian, qubit k is bit k;
a count key is the classical register printed with classical bit 0 rightmost, as Qiskit does.

Sampling is inverse-CDF over the state, done in one parallel pass that sums |a|^2 per chunk
plus a scan of only the chunks the (sorted) uniform draws fall into, so it needs no array of
probabilities the size of the state.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import _kernels as k

__all__ = [
    "clbit_values",
    "counts_from_values",
    "memory_from_values",
    "probabilities",
    "sample_indices",
]

_CHUNK = 1 << 12


def probabilities(state: np.ndarray) -> np.ndarray:
    """|amplitude|^2 of every basis state, float64 (allocates an array the size of the state)."""
    return np.abs(state.astype(np.complex128, copy=False)) ** 2


def sample_indices(state: np.ndarray, shots: int, rng: np.random.Generator) -> np.ndarray:
    """Draw `shots` basis indices from |state|^2, in random order (state need not be normalised).

    Args:
        state: 1-D complex64/complex128 statevector.
        shots: number of draws.
        rng: the random generator; the only source of randomness.

    Returns:
        int64 array of basis indices, one per shot.
    """
    if shots < 0:
        raise ValueError(f"shots must be >= 0, got {shots}")
    if shots == 0:
        return np.empty(0, dtype=np.int64)
    chunk = min(_CHUNK, state.size)
    sums = k.chunk_probabilities(state, chunk)
    cum = np.zeros(sums.size + 1)
    np.cumsum(sums, out=cum[1:])
    draws = rng.random(shots) * cum[-1]
    order = np.argsort(draws, kind="stable")
    found = k.sample_in_chunks(state, chunk, cum, draws[order])
    out = np.empty(shots, dtype=np.int64)
    out[order] = found
    return out


def clbit_values(
    indices: np.ndarray, measured: Sequence[tuple[int, int]], base: np.ndarray | int = 0
) -> np.ndarray:
    """Classical-register values after measuring basis states `indices`.

    Args:
        indices: sampled basis indices (int64).
        measured: (qubit, clbit) pairs in program order; a later pair overwrites an earlier
            one writing the same clbit.
        base: register value(s) before these measurements.

    Returns:
        Register values as Python-int object array when a clbit is >= 63, else int64.
    """
    wide = any(c >= 63 for _, c in measured)
    values = np.zeros(indices.shape, dtype=object if wide else np.int64)
    values = values + base
    for q, c in measured:
        bit = (indices >> q) & 1
        if wide:
            bit = bit.astype(object)
        mask = 1 << c
        values = (values & ~mask) | (bit << c)
    return values


def counts_from_values(values: np.ndarray, num_clbits: int) -> dict[str, int]:
    """Histogram of register values keyed by bitstrings, classical bit 0 rightmost."""
    uniq, counts = np.unique(values, return_counts=True)
    return {_bits(int(v), num_clbits): int(c) for v, c in zip(uniq, counts, strict=True)}


def memory_from_values(values: np.ndarray, num_clbits: int) -> list[str]:
    """One bitstring per shot, in shot order."""
    return [_bits(int(v), num_clbits) for v in values]


def _bits(value: int, width: int) -> str:
    return format(value, f"0{width}b") if width else ""
