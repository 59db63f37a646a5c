"""Backends for the primitives tests: the ideal simulator, a chip, and a call counter."""

from __future__ import annotations

import pytest

from kuafu import backends


class CountingBackend:
    """Wraps a backend and records how it was called (to check batching)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.batches: list[int] = []
        self.compile_flags: list[bool] = []

    @property
    def device(self):
        return self.inner.device

    @property
    def num_qubits(self):
        return self.inner.num_qubits

    def run(self, circuit, shots=1024, **options):
        return self.inner.run(circuit, shots, **options)

    def run_batch(self, circuits, shots, *, seed=None, compile=True):
        from kuafu.primitives.backend import outcome_of, run_circuits

        self.batches.append(len(circuits))
        self.compile_flags.append(compile)
        return [outcome_of(o) for o in run_circuits(self.inner, circuits, shots, seed=seed,
                                                     compile=compile)]


@pytest.fixture(scope="session")
def ideal():
    return backends.get("simulator")


@pytest.fixture(scope="session")
def p10():
    return backends.get("ScQ-P10")


@pytest.fixture()
def counting(ideal):
    return CountingBackend(ideal)
