import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuafu.circuit import GATES, gate_matrix
from kuafu.circuit.gates import embed
from kuafu.compiler.decompose import lower_steps, native_steps
from kuafu.compiler.synthesis import (
    compact_steps,
    entries_1q,
    kak,
    one_qubit_steps,
    two_qubit_cz_count,
    two_qubit_steps,
    y_then_z_steps,
)


def random_unitary(dim: int, rng: np.random.Generator) -> np.ndarray:
    z = rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim))
    q, r = np.linalg.qr(z)
    return q * (np.diag(r) / np.abs(np.diag(r)))


def steps_matrix(steps, width: int) -> np.ndarray:
    total = np.eye(2**width, dtype=complex)
    for name, pos, params in steps:
        m = params[0] if name == "unitary1q" else gate_matrix(name, params)
        total = embed(m, pos, width) @ total
    return total


def equal_up_to_phase(a: np.ndarray, b: np.ndarray, atol: float = 1e-8) -> bool:
    k = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    return np.allclose(a, a[k] / b[k] * b, atol=atol) and abs(abs(a[k] / b[k]) - 1) < 1e-8


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_two_qubit_synthesis_is_exact(seed):
    u = random_unitary(4, np.random.default_rng(seed))
    steps = two_qubit_steps(u)
    assert equal_up_to_phase(steps_matrix(steps, 2), u)
    assert sum(1 for s in steps if s[0] == "cz") == 3


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_one_qubit_synthesis_is_exact_and_short(seed):
    u = random_unitary(2, np.random.default_rng(seed))
    steps = one_qubit_steps(u)
    assert len(steps) <= 3 and sum(1 for s in steps if s[0] == "ry") <= 1
    assert equal_up_to_phase(steps_matrix(steps, 1), u)


@pytest.mark.parametrize("name,params,count", [
    ("cz", (), 1), ("cx", (), 1), ("cy", (), 1), ("ch", (), 1), ("swap", (), 3),
    ("cp", (0.3,), 2), ("rzz", (0.7,), 2), ("crx", (1.1,), 2), ("rxx", (0.2,), 2),
    ("cu3", (0.1, 0.2, 0.3), 2), ("csx", (), 2), ("cp", (math.pi,), 1),
])
def test_minimal_cz_counts(name, params, count):
    assert two_qubit_cz_count(gate_matrix(name, params)) == count


def test_swap_after_phase_gate_needs_three_czs_not_five():
    u = gate_matrix("swap") @ gate_matrix("cp", (0.4,))
    assert two_qubit_cz_count(u) == 3


def test_local_unitary_needs_no_cz():
    rng = np.random.default_rng(5)
    u = np.kron(random_unitary(2, rng), random_unitary(2, rng))
    assert two_qubit_cz_count(u) == 0
    assert equal_up_to_phase(steps_matrix(two_qubit_steps(u), 2), u)


def test_kak_coordinates_in_weyl_chamber():
    rng = np.random.default_rng(9)
    for _ in range(30):
        _, _, (x, y, z), _, _ = kak(random_unitary(4, rng))
        assert math.pi / 4 + 1e-9 >= x >= y - 1e-9 and y + 1e-9 >= abs(z)


@pytest.mark.parametrize("name", sorted(GATES))
def test_every_library_gate_decomposes_to_natives(name):
    spec = GATES[name]
    params = tuple(0.3 + 0.4 * k for k in range(spec.num_params))
    steps = native_steps(name, params)
    assert {s[0] for s in steps} <= {"rz", "ry", "rx", "cz"}
    assert equal_up_to_phase(steps_matrix(steps, spec.num_qubits), gate_matrix(name, params))


@pytest.mark.parametrize("name", sorted(n for n, spec in GATES.items() if spec.num_qubits == 1))
def test_entries_of_single_qubit_gates_are_the_librarys_matrices(name):
    """The compiler's fast 2x2 path (rz, ry, rx in plain arithmetic) agrees with
    `circuit.gates`, the one home of the matrices."""
    params = (0.3, -1.1, 2.5)[: GATES[name].num_params]
    np.testing.assert_allclose(np.array(entries_1q(name, params)).reshape(2, 2),
                               gate_matrix(name, params), atol=1e-15)


@pytest.mark.parametrize("lam", [0.0, math.pi / 2, -math.pi / 2, math.pi, -math.pi, 0.7,
                                 math.pi / 2 + 1e-12, 2 * math.pi])
@pytest.mark.parametrize("theta", [0.0, 0.4, -2.2, math.pi, -math.pi])
def test_y_then_z_steps_is_ry_rz_up_to_a_trailing_z(theta, lam):
    """One rotation when the axis allows; Rz(extra) @ steps == Ry(theta) @ Rz(lam)."""
    steps, extra = y_then_z_steps(theta, lam)
    got = gate_matrix("rz", (extra,)) @ steps_matrix(steps, 1)
    want = gate_matrix("ry", (theta,)) @ gate_matrix("rz", (lam,))
    assert equal_up_to_phase(got, want)
    on_axis = abs(math.remainder(lam, math.pi / 2)) < 1e-9 or abs(abs(theta) - math.pi) < 1e-9
    assert len(steps) <= (1 if on_axis else 2)


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=30, deadline=None)
def test_compact_steps_keeps_the_unitary_and_shortens_runs(seed):
    rng = np.random.default_rng(seed)
    u = random_unitary(4, rng)
    steps = lower_steps(two_qubit_steps(u))
    short = compact_steps(steps)
    assert equal_up_to_phase(steps_matrix(short, 2), u)
    assert [s for s in short if s[0] == "cz"] == [s for s in steps if s[0] == "cz"]
    assert len(short) <= len(steps)
    # between two CZs a position holds at most two rotations (rz then ry, or one)
    run = {0: 0, 1: 0}
    for name, pos, _ in short:
        if name == "cz":
            assert max(run.values()) <= 2
            run = {0: 0, 1: 0}
        else:
            run[pos[0]] += 1
