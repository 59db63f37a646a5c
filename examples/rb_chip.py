"""Benchmark an emulated chip like a lab would, and compare with its calibration data.

    python examples/rb_chip.py ScQ-P18 [--qubits 0 5 9] [--couplers 0-1 8-9]

Runs single-qubit randomized benchmarking, CZ interleaved RB and readout calibration
through the chip's backend (`compile=False`, native circuits) and prints measured versus
calibrated fidelities.
"""

from __future__ import annotations

import argparse

import numpy as np

from kuafu import backends
from kuafu.backends.benchmarking import (
    interleaved_rb_cz,
    randomized_benchmarking_1q,
    readout_calibration,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chip", nargs="?", default="ScQ-P10")
    parser.add_argument("--qubits", type=int, nargs="*", default=[0, 2])
    parser.add_argument("--couplers", nargs="*", default=["0-1"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    backend = backends.get(args.chip)
    device = backend.device
    print(f"{'what':<28}{'calibrated':>12}{'measured':>12}")
    for q in args.qubits:
        rb = randomized_benchmarking_1q(backend, q, seed=args.seed)
        cal = device.qubit_calibration[q].fidelity_1q
        print(f"{'1q gate ' + device.qubits[q]:<28}{cal:>12.5f}{rb.fidelity:>12.5f}")
    for spec in args.couplers:
        a, b = (int(x) for x in spec.split("-"))
        _, irb = interleaved_rb_cz(backend, (a, b), seed=args.seed)
        cal = device.coupler_fidelity(a, b)
        name = f"CZ {device.qubits[a]}-{device.qubits[b]}"
        print(f"{name:<28}{cal:>12.5f}{irb.fidelity:>12.5f}")
    readout = readout_calibration(backend, list(range(device.num_qubits)), seed=args.seed)
    measured = np.mean([(p0 + p1) / 2 for p0, p1 in readout.values()])
    print(f"{'readout (chip average)':<28}{device.averages()['readout_fidelity']:>12.5f}"
          f"{measured:>12.5f}")


if __name__ == "__main__":
    main()
