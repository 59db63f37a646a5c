"""OpenQASM 2 reading and writing speed: Kuafu against Qiskit's reader, in one run.

    python benchmarks/bench_qasm.py [--size-mb 1.0] [--repeat 5] [--hostile]

Generates a realistic program of the given size (several registers, u3/cx/cu1/h, a user
gate, measurements), then times `kuafu.qasm.loads`, `qiskit.qasm2.loads` (Rust) and both
writers, best of `--repeat`, and prints the ratios.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path


def realistic_program(size_bytes: int, seed: int = 1) -> str:
    """A program of about `size_bytes`, built from a seeded generator."""
    rng = random.Random(seed)
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";',
             "gate layer(t) a, b { ry(t) a; cx a, b; rz(-t/2) b; }",
             "qreg q[16];", "qreg r[8];", "creg c[16];", "creg d[8];"]
    size = sum(len(line) + 1 for line in lines)
    while size < size_bytes:
        a, b = rng.sample(range(16), 2)
        k = rng.random()
        if k < 0.35:
            line = f"cx q[{a}],q[{b}];"
        elif k < 0.65:
            angles = ",".join(f"{rng.uniform(-3, 3):.12f}" for _ in range(3))
            line = f"u3({angles}) q[{a}];"
        elif k < 0.8:
            line = f"cu1(pi/{rng.randint(1, 64)}) q[{a}],r[{b % 8}];"
        elif k < 0.9:
            line = f"layer({rng.uniform(0, 1):.6f}) r[{a % 8}],q[{b}];"
        else:
            line = f"h r[{b % 8}];"
        lines.append(line)
        size += len(line) + 1
    lines += ["measure q -> c;", "measure r -> d;"]
    return "\n".join(lines) + "\n"


def best_of(repeat: int, function, *args) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--hostile", action="store_true", help="time hostile programs too")
    args = parser.parse_args()
    if args.hostile:
        time_hostile_programs()

    from kuafu import qasm

    text = realistic_program(int(args.size_mb * 1_000_000))
    circuit = qasm.loads(text)
    print(f"program: {len(text):,} bytes, {len(text.splitlines()):,} lines, "
          f"{len(circuit.instructions):,} operations after expansion")
    rows = [("kuafu.qasm.loads", best_of(args.repeat, qasm.loads, text)),
            ("kuafu.qasm.dumps", best_of(args.repeat, qasm.dumps, circuit))]
    try:
        from qiskit import qasm2

        custom = qasm2.LEGACY_CUSTOM_INSTRUCTIONS
        theirs = qasm2.loads(text, custom_instructions=custom)
        rows.append(("qiskit.qasm2.loads",
                     best_of(args.repeat, lambda t: qasm2.loads(t, custom_instructions=custom),
                             text)))
        rows.append(("qiskit.qasm2.dumps", best_of(args.repeat, qasm2.dumps, theirs)))
    except ImportError:
        print("qiskit is not installed: peer timings skipped")
    times = dict(rows)
    print(f"\n{'operation':<22}{'seconds':>10}{'MB/s':>10}")
    for name, seconds in rows:
        print(f"{name:<22}{seconds:>10.3f}{len(text) / 1e6 / seconds:>10.2f}")
    if "qiskit.qasm2.loads" in times:
        read = times["qiskit.qasm2.loads"] / times["kuafu.qasm.loads"]
        write = times["qiskit.qasm2.dumps"] / times["kuafu.qasm.dumps"]
        print(f"\nqiskit/kuafu time ratios (above 1: Kuafu faster): read {read:.2f}, "
              f"write {write:.2f}")


def time_hostile_programs() -> None:
    """How long each hostile program of the test suite takes to be refused."""
    from kuafu import qasm
    from kuafu.errors import QasmError

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "qasm"))
    from test_limits import HOSTILE

    print(f"{'hostile program':<30}{'bytes':>12}{'seconds':>10}")
    for name, (program, _) in sorted(HOSTILE.items()):
        start = time.perf_counter()
        try:
            qasm.loads(program)
            outcome = "ACCEPTED"
        except QasmError:
            outcome = ""
        seconds = time.perf_counter() - start
        flag = "  over 1 s" if seconds > 1 else ""
        print(f"{name:<30}{len(program):>12,}{seconds:>10.3f}{flag}{outcome}")
    print()


if __name__ == "__main__":
    main()
