"""The statevector engine against independent references.

References: Qiskit's `Statevector` (test-only), built from the same random gate list without
going through Kuafu's code, and `kuafu.circuit.unitary`. Mid-circuit measurement is checked
against an exact enumeration of measurement branches done with Qiskit statevectors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from qiskit import QuantumCircuit as QiskitCircuit
from qiskit.circuit.library import C3SXGate, C4XGate, RC3XGate, UnitaryGate
from qiskit.quantum_info import Statevector
from scipy import stats

from kuafu.circuit import GATES, Condition, QuantumCircuit, unitary
from kuafu.errors import InsufficientMemoryError, SimulationError
from kuafu.sim.fusion import CostModel
from kuafu.sim.statevector import (
    allocate_state,
    final_state,
    required_bytes,
    run_statevector,
)

GATE_NAMES = sorted(GATES)
SY = np.array([[1 + 1j, -1 - 1j], [1 + 1j, 1 + 1j]]) / 2


def random_ops(rng: np.random.Generator, n: int, depth: int) -> list[tuple[str, tuple, tuple]]:
    """A random list of (gate name, qubits, params) using every library gate that fits."""
    names = [g for g in GATE_NAMES if GATES[g].num_qubits <= n]
    ops = []
    for _ in range(depth):
        name = names[rng.integers(len(names))]
        spec = GATES[name]
        qubits = tuple(int(q) for q in rng.choice(n, size=spec.num_qubits, replace=False))
        params = tuple(float(x) for x in rng.uniform(-2 * math.pi, 2 * math.pi, spec.num_params))
        ops.append((name, qubits, params))
    return ops


def kuafu_circuit(n: int, ops, num_clbits: int = 0) -> QuantumCircuit:
    qc = QuantumCircuit(n, num_clbits) if num_clbits else QuantumCircuit(n)
    for name, qubits, params in ops:
        getattr(qc, name)(*params, *qubits)
    return qc


def add_qiskit_gate(qc: QiskitCircuit, name: str, q: tuple, p: tuple) -> None:
    """Append one library gate to a Qiskit circuit, written from the OpenQASM 2 definitions."""
    simple = {"x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "cx", "cy", "cz",
              "ch", "swap", "csx", "ccx", "cswap", "rccx", "rx", "ry", "rz", "crx", "cry",
              "crz", "cp", "rxx", "rzz", "p", "id"}
    if name in simple:
        getattr(qc, name)(*p, *q)
    elif name == "u0":
        qc.id(q[0])
    elif name == "u1":
        qc.p(p[0], q[0])
    elif name == "u2":
        qc.u(math.pi / 2, p[0], p[1], q[0])
    elif name in ("u3", "u"):
        qc.u(*p, q[0])
    elif name == "sy":
        qc.append(UnitaryGate(SY), [q[0]])
    elif name == "sydg":
        qc.append(UnitaryGate(SY.conj().T), [q[0]])
    elif name == "cu1":
        qc.cp(p[0], *q)
    elif name == "cu3":
        qc.cu(*p, 0.0, *q)
    elif name == "cu":
        qc.cu(*p, *q)
    elif name == "rc3x":
        qc.append(RC3XGate(), list(q))
    elif name == "c3x":
        qc.mcx(list(q[:3]), q[3])
    elif name == "c3sqrtx":
        qc.append(C3SXGate(), list(q))
    elif name == "c4x":
        qc.append(C4XGate(), list(q))
    else:  # pragma: no cover - a new library gate needs a line here
        raise AssertionError(f"no Qiskit translation for {name}")


def qiskit_state(n: int, ops) -> np.ndarray:
    qc = QiskitCircuit(n)
    for name, qubits, params in ops:
        add_qiskit_gate(qc, name, qubits, params)
    return Statevector(qc).data


def fidelity(a: np.ndarray, b: np.ndarray) -> float:
    return abs(np.vdot(a.astype(complex), b.astype(complex))) ** 2


def test_every_library_gate_has_a_translation():
    qc = QiskitCircuit(5)
    for name in GATE_NAMES:
        spec = GATES[name]
        add_qiskit_gate(qc, name, tuple(range(spec.num_qubits)), (0.1,) * spec.num_params)


@pytest.mark.parametrize("seed", range(240))
def test_random_circuit_matches_qiskit(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 15))
    ops = random_ops(rng, n, int(rng.integers(1, 40)))
    expected = qiskit_state(n, ops)
    qc = kuafu_circuit(n, ops)
    fusion = [True, False, CostModel(max_qubits=3), "matrix"][seed % 4]
    got = final_state(qc, fusion=fusion)
    assert got.dtype == np.complex128
    assert fidelity(expected, got) == pytest.approx(1.0, abs=1e-10)
    assert np.linalg.norm(got) == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize("seed", range(40))
def test_random_circuit_matches_kuafu_unitary(seed):
    rng = np.random.default_rng(1000 + seed)
    n = int(rng.integers(1, 8))
    ops = random_ops(rng, n, int(rng.integers(1, 60)))
    qc = kuafu_circuit(n, ops)
    expected = unitary(qc)[:, 0]
    got = final_state(qc)
    # the exact unitary keeps the global phase, so compare amplitudes, not just fidelity
    np.testing.assert_allclose(got, expected, atol=1e-10)


@pytest.mark.parametrize("seed", range(20))
def test_single_precision_fidelity(seed):
    rng = np.random.default_rng(2000 + seed)
    n = int(rng.integers(2, 15))
    ops = random_ops(rng, n, 60)
    qc = kuafu_circuit(n, ops)
    got = final_state(qc, precision="single")
    assert got.dtype == np.complex64
    assert fidelity(qiskit_state(n, ops), got) == pytest.approx(1.0, abs=1e-5)


def brickwork(n: int, layers: int, rng: np.random.Generator) -> list[tuple[str, tuple, tuple]]:
    ops = []
    for layer in range(layers):
        for q in range(n):
            ops.append(("u3", (q,), tuple(float(x) for x in rng.uniform(0, 2 * math.pi, 3))))
        for q in range(layer % 2, n - 1, 2):
            ops.append(("cx", (q, q + 1), ()))
    return ops


@pytest.mark.parametrize("n", [14, 15, 16])
def test_wide_brickwork_matches_qiskit(n):
    """States larger than one kernel task, where fusion builds 4- and 5-qubit blocks."""
    rng = np.random.default_rng(n)
    ops = brickwork(n, 8, rng)
    expected = qiskit_state(n, ops)
    for precision, tol in (("double", 1e-10), ("single", 1e-5)):
        got = final_state(kuafu_circuit(n, ops), precision=precision)
        assert fidelity(expected, got) == pytest.approx(1.0, abs=tol)


def test_counts_bit_order_clbit_zero_rightmost():
    qc = QuantumCircuit(3, 3)
    qc.x(0)
    qc.x(2)
    qc.measure(0, 0)
    qc.measure(2, 1)
    result = run_statevector(qc, 10, seed=1)
    assert result.counts == {"011": 10}


def test_no_measurements_gives_zero_register():
    qc = QuantumCircuit(2, 2)
    qc.h(0)
    assert run_statevector(qc, 5, seed=0).counts == {"00": 5}
    assert run_statevector(QuantumCircuit(1), 3, seed=0).counts == {"": 3}


def exact_distribution(n: int, probs: np.ndarray, measured: list[tuple[int, int]], m: int):
    """Distribution of register values for terminal measurements of a state's probabilities."""
    out: dict[int, float] = {}
    for index, p in enumerate(probs):
        if p < 1e-15:
            continue
        value = 0
        for q, c in measured:
            value = (value & ~(1 << c)) | (((index >> q) & 1) << c)
        out[value] = out.get(value, 0.0) + p
    return out


def assert_counts_match(counts: dict[str, int], expected: dict[int, float], width: int):
    shots = sum(counts.values())
    keys = sorted(expected)
    observed = np.array([counts.get(format(v, f"0{width}b"), 0) for v in keys], float)
    assert observed.sum() == shots, "a sampled outcome has zero exact probability"
    exp = np.array([expected[v] for v in keys]) * shots
    mask = exp >= 5
    if mask.sum() >= 2:
        obs_m = np.append(observed[mask], observed[~mask].sum())
        exp_m = np.append(exp[mask], exp[~mask].sum())
        keep = exp_m > 0
        exp_m = exp_m[keep] * obs_m[keep].sum() / exp_m[keep].sum()
        assert stats.chisquare(obs_m[keep], exp_m).pvalue > 1e-4


@pytest.mark.parametrize("seed", range(10))
def test_terminal_sampling_statistics(seed):
    rng = np.random.default_rng(3000 + seed)
    n = int(rng.integers(1, 7))
    ops = random_ops(rng, n, 25)
    qc = kuafu_circuit(n, ops, num_clbits=n)
    perm = [int(x) for x in rng.permutation(n)]
    for q in range(n):
        qc.measure(q, perm[q])
    result = run_statevector(qc, 4000, seed=seed)
    assert result.branches == 1
    probs = np.abs(qiskit_state(n, ops)) ** 2
    expected = exact_distribution(n, probs, [(q, perm[q]) for q in range(n)], n)
    assert_counts_match(result.counts, expected, n)


def test_seeds_make_runs_reproducible():
    rng = np.random.default_rng(7)
    ops = random_ops(rng, 6, 30)
    qc = kuafu_circuit(6, ops, num_clbits=6)
    qc.measure(2, 0)
    qc.h(2)
    qc.measure(range(6), range(6))
    a = run_statevector(qc, 500, seed=11, memory=True)
    b = run_statevector(qc, 500, seed=np.random.default_rng(11), memory=True)
    c = run_statevector(qc, 500, seed=12, memory=True)
    assert a.counts == b.counts and a.memory == b.memory
    assert a.memory != c.memory
    assert len(a.memory) == 500
    assert {s: a.memory.count(s) for s in set(a.memory)} == a.counts


def test_memory_error_reports_bytes():
    with pytest.raises(InsufficientMemoryError) as info:
        allocate_state(40)
    assert info.value.required_bytes == 16 << 40
    assert f"{16 << 40:,} bytes" in str(info.value)
    qc = QuantumCircuit(20)
    with pytest.raises(InsufficientMemoryError) as info:
        run_statevector(qc, 1, precision="single", max_memory_bytes=1 << 20)
    assert info.value.required_bytes == required_bytes(20, "single") == 8 << 20
    assert isinstance(info.value, SimulationError)


def test_final_state_refuses_mid_circuit_measurement():
    qc = QuantumCircuit(2, 1)
    qc.h(0)
    qc.measure(0, 0)
    qc.cx(0, 1)
    with pytest.raises(SimulationError):
        final_state(qc)


# ---------------------------------------------------------------- mid-circuit measurement


def random_dynamic_ops(rng: np.random.Generator, n: int, m: int, depth: int):
    """Gates mixed with measure / reset / conditioned gates (at most 4 random events)."""
    ops = []
    events = 0
    for _ in range(depth):
        r = rng.random()
        if r < 0.12 and events < 4:
            ops.append(("measure", (int(rng.integers(n)),), (int(rng.integers(m)),)))
            events += 1
        elif r < 0.18 and events < 4:
            ops.append(("reset", (int(rng.integers(n)),), ()))
            events += 1
        elif r < 0.26:
            (name, qubits, params), = random_ops(rng, n, 1)
            clbits = tuple(int(c) for c in rng.choice(m, size=int(rng.integers(1, m + 1)),
                                                      replace=False))
            value = int(rng.integers(2 ** len(clbits)))
            ops.append(("if", (name, qubits, params), (clbits, value)))
        else:
            ops.extend(random_ops(rng, n, 1))
    for q in range(n):
        if rng.random() < 0.7:
            ops.append(("measure", (q,), (int(rng.integers(m)),)))
    return ops


def build_dynamic(n: int, m: int, ops) -> QuantumCircuit:
    qc = QuantumCircuit(n, m)
    for name, a, b in ops:
        if name == "measure":
            qc.measure(a[0], b[0])
        elif name == "reset":
            qc.reset(a[0])
        elif name == "if":
            gname, qubits, params = a
            qc.append(gname, qubits, params, condition=Condition(tuple(b[0]), b[1]))
        else:
            getattr(qc, name)(*b, *a)
    return qc


def exact_dynamic(n: int, m: int, ops) -> dict[int, float]:
    """Exact register distribution by enumerating measurement branches with Qiskit states."""
    results: dict[int, float] = {}

    def project(data: np.ndarray, q: int, outcome: int) -> tuple[float, np.ndarray]:
        idx = np.arange(data.size)
        keep = ((idx >> q) & 1) == outcome
        out = np.where(keep, data, 0)
        p = float(np.vdot(out, out).real)
        return p, (out / math.sqrt(p) if p > 1e-14 else out)

    def walk(pos: int, data: np.ndarray, register: int, weight: float) -> None:
        while pos < len(ops):
            name, a, b = ops[pos]
            pos += 1
            if name in ("measure", "reset"):
                for outcome in (0, 1):
                    p, new = project(data, a[0], outcome)
                    if p <= 1e-14:
                        continue
                    reg = register
                    if name == "measure":
                        reg = (reg & ~(1 << b[0])) | (outcome << b[0])
                    elif outcome:
                        new = _apply_x(new, a[0])
                    walk(pos, new, reg, weight * p)
                return
            if name == "if":
                clbits, value = b
                held = sum(((register >> c) & 1) << i for i, c in enumerate(clbits))
                if held != value:
                    continue
                name, a, b = a[0], a[1], a[2]
            qc = QiskitCircuit(n)
            add_qiskit_gate(qc, name, a, b)
            data = Statevector(data).evolve(qc).data
        results[register] = results.get(register, 0.0) + weight

    start = np.zeros(2**n, complex)
    start[0] = 1
    walk(0, start, 0, 1.0)
    return results


def _apply_x(data: np.ndarray, q: int) -> np.ndarray:
    return data[np.arange(data.size) ^ (1 << q)]


@pytest.mark.parametrize("seed", range(40))
def test_mid_circuit_measurement_statistics(seed):
    rng = np.random.default_rng(4000 + seed)
    n = int(rng.integers(1, 6))
    m = int(rng.integers(1, 4))
    ops = random_dynamic_ops(rng, n, m, 30)
    qc = build_dynamic(n, m, ops)
    result = run_statevector(qc, 3000, seed=seed, precision=["double", "single"][seed % 2])
    assert sum(result.counts.values()) == 3000
    assert_counts_match(result.counts, exact_dynamic(n, m, ops), m)


def test_branches_are_grouped_not_per_shot():
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.measure(0, 0)
    qc.cx(0, 1)
    qc.measure(1, 1)  # deterministic given the first outcome: no new branch
    qc.h(2)
    qc.measure(2, 2)  # terminal: sampled at the end
    result = run_statevector(qc, 1000, seed=3)
    assert result.branches == 2
    assert set(result.counts) == {"000", "011", "100", "111"}


def test_replay_when_copies_do_not_fit():
    """With memory for a single state, pending branches are replayed instead of copied."""
    qc = QuantumCircuit(4, 4)
    for q in range(4):
        qc.h(q)
        qc.measure(q, q)
        qc.x(q)
    budget = required_bytes(4) + 8
    result = run_statevector(qc, 4000, seed=5, max_memory_bytes=budget)
    assert result.branches == 16
    expected = {v: 1 / 16 for v in range(16)}
    assert_counts_match(result.counts, expected, 4)


def test_reset_of_fresh_qubit_is_free_and_reset_works():
    qc = QuantumCircuit(2, 2)
    qc.reset(0)
    qc.x(0)
    qc.h(1)
    qc.reset(0)
    qc.reset(1)
    qc.measure(0, 0)
    qc.measure(1, 1)
    result = run_statevector(qc, 200, seed=2)
    assert result.counts == {"00": 200}
