"""Reproducible calibration data for the emulated chips.

`python -m kuafu.devices.generate [DIR]` writes `ScQ-P10.json`, `ScQ-P18.json` and
`ScQ-P136.json` (default: this package's `data/` folder). The files are committed; the
library only reads them. Every figure comes from a generator seeded per chip, so running
the script again gives byte-identical files.

The numbers are shaped like a real transmon chip's: T1 around 40 us with a long lower
tail, T2 below 2*T1, single-qubit gate error around 0.1 %, CZ error around 1 %, readout
with |1> worse than |0> (relaxation during the measurement), and a few weak qubits and
couplers. Each gate's calibrated error is kept above what thermal relaxation alone
causes over its duration, so a noise model can match it exactly (see
`kuafu.sim.device_noise`).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .device import NATIVE_GATES, SCHEMA

DURATIONS_NS = {
    "rx": 30.0, "ry": 30.0, "x": 30.0, "y": 30.0, "h": 30.0, "sx": 30.0, "sy": 30.0,
    "rz": 0.0, "z": 0.0, "id": 30.0, "cz": 60.0, "cx": 120.0, "measure": 1500.0,
    "reset": 1500.0,
}
"""Gate durations: Z rotations are virtual (frame changes); CX is H.CZ.H on the target."""

CALIBRATED_AT = "2026-11-25T06:00:00Z"


def relaxation_fidelity(duration_ns: float, t1_us: float, t2_us: float) -> float:
    """Average gate fidelity of one qubit idling for `duration_ns` under T1/T2 decay."""
    return (2 * relaxation_process_fidelity(duration_ns, t1_us, t2_us) + 1) / 3


def relaxation_process_fidelity(duration_ns: float, t1_us: float, t2_us: float) -> float:
    """Process (entanglement) fidelity of one qubit's T1/T2 decay over `duration_ns`."""
    t = duration_ns * 1e-3
    return (1 + math.exp(-t / t1_us) + 2 * math.exp(-t / t2_us)) / 4


def chain(n: int) -> list[tuple[int, int]]:
    """Couplers of a linear chain of n qubits."""
    return [(i, i + 1) for i in range(n - 1)]


def grid(rows: int, cols: int) -> list[tuple[int, int]]:
    """Couplers of a rows x cols square lattice, qubits numbered row by row."""
    pairs = []
    for r in range(rows):
        for c in range(cols):
            q = r * cols + c
            if c + 1 < cols:
                pairs.append((q, q + 1))
            if r + 1 < rows:
                pairs.append((q, q + cols))
    return sorted(pairs)


def _qubit_calibration(rng: np.random.Generator, weak: bool) -> dict[str, float]:
    t1 = float(np.clip(rng.lognormal(math.log(42.0), 0.25), 12.0, 120.0))
    if weak:
        t1 = float(rng.uniform(12.0, 20.0))
    t2 = float(min(2 * t1, t1 * rng.uniform(0.6, 1.3)))
    err1 = float(np.clip(rng.lognormal(math.log(9e-4), 0.35), 3e-4, 3e-3))
    if weak:
        err1 = float(rng.uniform(2.5e-3, 4e-3))
    floor = 1 - relaxation_fidelity(DURATIONS_NS["rx"], t1, t2)
    err1 = max(err1, 1.5 * floor)
    p00 = float(np.clip(rng.normal(0.991, 0.003), 0.975, 0.998))
    p11 = float(np.clip(rng.normal(0.981, 0.005), 0.95, 0.995))
    if weak:
        p11 = float(rng.uniform(0.94, 0.96))
    return {
        "t1_us": round(t1, 2), "t2_us": round(t2, 2), "fidelity_1q": round(1 - err1, 5),
        "readout_p00": round(p00, 4), "readout_p11": round(p11, 4),
    }


def _coupler_fidelity(rng: np.random.Generator, weak: bool, a: dict, b: dict) -> float:
    err2 = float(np.clip(rng.lognormal(math.log(9e-3), 0.3), 4e-3, 2.5e-2))
    if weak:
        err2 = float(rng.uniform(3e-2, 4.5e-2))
    t = DURATIONS_NS["cz"]
    proc = (relaxation_process_fidelity(t, a["t1_us"], a["t2_us"])
            * relaxation_process_fidelity(t, b["t1_us"], b["t2_us"]))
    floor = 1 - (4 * proc + 1) / 5
    return round(1 - max(err2, 1.5 * floor), 5)


def generate(name: str, couplers: list[tuple[int, int]], num_qubits: int, seed: int, *,
             description: str, weak_qubits: int, weak_couplers: int,
             coordinates: list[tuple[int, int]] | None = None,
             status: str = "online") -> dict[str, Any]:
    """The JSON form of one chip with seeded calibration.

    Args:
        name: chip name.
        couplers: pairs of qubit indices.
        num_qubits: number of qubits, named Q1..Qn.
        seed: seeds every random figure.
        description: text for people.
        weak_qubits: how many qubits get short T1 and worse gates and readout.
        weak_couplers: how many couplers get a CZ error of 3-4.5 %.
        coordinates: optional (row, column) per qubit.
        status: online, maintenance or offline.
    """
    rng = np.random.default_rng(seed)
    names = [f"Q{i + 1}" for i in range(num_qubits)]
    weak_q = set(rng.choice(num_qubits, size=weak_qubits, replace=False).tolist())
    qcal = [_qubit_calibration(rng, i in weak_q) for i in range(num_qubits)]
    weak_c = set(rng.choice(len(couplers), size=weak_couplers, replace=False).tolist())
    ccal = [
        {"qubits": [names[a], names[b]],
         "fidelity_2q": _coupler_fidelity(rng, k in weak_c, qcal[a], qcal[b])}
        for k, (a, b) in enumerate(couplers)
    ]
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "name": name,
        "description": description,
        "status": status,
        "calibrated_at": CALIBRATED_AT,
        "qubits": names,
        "couplers": [[names[a], names[b]] for a, b in couplers],
        "native_gates": sorted(NATIVE_GATES),
        "durations_ns": DURATIONS_NS,
        "calibration": {"qubits": dict(zip(names, qcal, strict=True)), "couplers": ccal},
    }
    if coordinates is not None:
        data["coordinates"] = {q: list(rc) for q, rc in zip(names, coordinates, strict=True)}
    return data


def builtin_chips() -> dict[str, dict[str, Any]]:
    """The three emulated chips, by name."""
    rows, cols = 8, 17
    return {
        "ScQ-P10": generate(
            "ScQ-P10", chain(10), 10, seed=10, weak_qubits=1, weak_couplers=1,
            description="10-qubit superconducting chain (emulated)"),
        "ScQ-P18": generate(
            "ScQ-P18", chain(18), 18, seed=18, weak_qubits=1, weak_couplers=1,
            description="18-qubit superconducting chain (emulated)"),
        "ScQ-P136": generate(
            "ScQ-P136", grid(rows, cols), rows * cols, seed=136, weak_qubits=6,
            weak_couplers=8,
            coordinates=[(r, c) for r in range(rows) for c in range(cols)],
            description="136-qubit superconducting 8x17 square lattice (emulated)"),
    }


def main(argv: list[str] | None = None) -> int:
    """Write the built-in chips' JSON files into a folder (default: the package data)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).parent / "data"
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in builtin_chips().items():
        (folder / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
