"""Helpers shared by the Estimator and the Sampler: parameter sets and count arrays."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..circuit import QuantumCircuit

ParameterValues = Sequence[float] | Sequence[Sequence[float]] | Sequence[Mapping] | Mapping


def parameter_sets(circuit: QuantumCircuit, values: ParameterValues | None) -> list[Any]:
    """The parameter sets of a run: one per bound circuit (None: the circuit as it is).

    A flat sequence of numbers or one mapping is one set; a sequence of those is a sweep.

    Raises:
        ValueError: when the circuit has free parameters and no values are given.
    """
    if values is None:
        if circuit.parameters:
            names = ", ".join(p.name for p in circuit.parameters)
            raise ValueError(f"the circuit has free parameters ({names}); give "
                             "parameter_values")
        return [None]
    if isinstance(values, Mapping):
        return [values]
    values = list(values)
    if not values:
        raise ValueError("parameter_values is empty")
    if isinstance(values[0], Mapping) or np.ndim(values[0]) == 1:
        return values
    return [values]


def bind_all(circuit: QuantumCircuit, sets: list[Any]) -> list[QuantumCircuit]:
    return [circuit if s is None else circuit.bind(s) for s in sets]


def count_arrays(counts: Mapping[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """(bits, frequencies): bits[k, j] is classical bit j of the k-th distinct outcome."""
    keys = [k.replace(" ", "") for k in counts]
    freq = np.array([counts[k] for k in counts], dtype=float)
    if not keys:
        return np.zeros((0, 0), dtype=np.uint8), freq
    width = len(keys[0])
    raw = np.frombuffer("".join(keys).encode(), dtype=np.uint8).reshape(len(keys), width)
    return (raw[:, ::-1] - ord("0")).astype(np.uint8), freq / freq.sum()
