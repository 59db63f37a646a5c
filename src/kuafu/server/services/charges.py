"""What a job is charged: its shots, and the emulated chip-seconds it holds its chip.

A superconducting chip runs a job shot after shot; each shot lasts the circuit (its
depth in the chip's slowest gate), the readout, and the wait that lets the qubits relax
before the next shot (the repetition period). The wait dominates: a 1000-shot Bell pair
holds a chip ~0.1 s. The estimate is made at submission, from the program as written
(depth before compilation: routing adds layers, the wait outweighs them), so that the
estimate endpoint, the allocation check and the report all say the same figure.
"""

from __future__ import annotations

from typing import Any

from . import execution

REPETITION_SECONDS = 100e-6
"""Wait between shots for the qubits to relax (≈ 5 T1 of the emulated chips)."""
DEFAULT_LAYER_NS = 120.0
DEFAULT_MEASURE_NS = 1500.0


def shot_seconds(circuit: Any, backend: str) -> float:
    """Seconds one shot of `circuit` holds `backend`."""
    device = execution.device_of(backend)
    layer, measure = DEFAULT_LAYER_NS, DEFAULT_MEASURE_NS
    if device is not None:
        gates = [v for k, v in device.durations_ns.items() if k not in ("measure", "reset")]
        layer = max(gates, default=DEFAULT_LAYER_NS)
        measure = float(device.durations_ns.get("measure", DEFAULT_MEASURE_NS))
    return REPETITION_SECONDS + (circuit.depth() * layer + measure) * 1e-9


def chip_seconds(circuit: Any, backend: str, shots: int) -> float:
    """Emulated chip-seconds a job of `shots` shots of `circuit` on `backend` costs."""
    return shots * shot_seconds(circuit, backend)
