"""Every gate's matrix: unitary, equal to hand-derived matrices, to its qelib1.inc
definition, to Qiskit's, and inverted correctly."""

from __future__ import annotations

import math
import re
from importlib import resources

import numpy as np
import pytest

from helpers import QELIB1_GATES, equal_up_to_phase
from kuafu import qasm
from kuafu.circuit import GATES, QuantumCircuit, gate_definition, gate_matrix, unitary
from kuafu.circuit.gates import inverse_steps

ANGLES = (0.3, -1.1, 2.5, 0.7)
r2 = 1 / math.sqrt(2)
c, s = math.cos(0.15), math.sin(0.15)  # half of 0.3
e = np.exp


def params_for(name: str) -> tuple[float, ...]:
    return ANGLES[: GATES[name].num_params]


def ctrl(u, n=1):
    m = np.eye(2 ** (n + 1) * (len(u) // 2), dtype=complex)
    m[-len(u):, -len(u):] = u
    return m


# Matrices written out by hand (big-endian over the gate's arguments, control first),
# at the parameters `params_for(name)`: theta=0.3, phi=-1.1, lambda=2.5, gamma=0.7.
u3_hand = np.array([[c, -e(2.5j) * s], [e(-1.1j) * s, e(1.4j) * c]])
HAND = {
    "id": np.eye(2),
    "u0": np.eye(2),
    "u1": np.diag([1, e(0.3j)]),
    "p": np.diag([1, e(0.3j)]),
    "u2": r2 * np.array([[1, -e(-1.1j)], [e(0.3j), e(-0.8j)]]),
    "u3": u3_hand,
    "u": u3_hand,
    "x": np.array([[0, 1], [1, 0]]),
    "y": np.array([[0, -1j], [1j, 0]]),
    "z": np.diag([1, -1]),
    "h": r2 * np.array([[1, 1], [1, -1]]),
    "s": np.diag([1, 1j]),
    "sdg": np.diag([1, -1j]),
    "t": np.diag([1, e(1j * math.pi / 4)]),
    "tdg": np.diag([1, e(-1j * math.pi / 4)]),
    "sx": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    "sxdg": 0.5 * np.array([[1 - 1j, 1 + 1j], [1 + 1j, 1 - 1j]]),
    "sy": 0.5 * np.array([[1 + 1j, -1 - 1j], [1 + 1j, 1 + 1j]]),
    "sydg": 0.5 * np.array([[1 - 1j, 1 - 1j], [-1 + 1j, 1 - 1j]]),
    "rx": np.array([[c, -1j * s], [-1j * s, c]]),
    "ry": np.array([[c, -s], [s, c]]),
    "rz": np.diag([e(-0.15j), e(0.15j)]),
    "cx": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
    "cy": ctrl(np.array([[0, -1j], [1j, 0]])),
    "cz": np.diag([1, 1, 1, -1]),
    "ch": ctrl(r2 * np.array([[1, 1], [1, -1]])),
    "swap": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    "crx": ctrl(np.array([[c, -1j * s], [-1j * s, c]])),
    "cry": ctrl(np.array([[c, -s], [s, c]])),
    "crz": np.diag([1, 1, e(-0.15j), e(0.15j)]),
    "cu1": np.diag([1, 1, 1, e(0.3j)]),
    "cp": np.diag([1, 1, 1, e(0.3j)]),
    "cu3": ctrl(u3_hand),
    "cu": ctrl(e(0.7j) * u3_hand),
    "csx": ctrl(0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]])),
    "rxx": np.array([[c, 0, 0, -1j * s], [0, c, -1j * s, 0], [0, -1j * s, c, 0],
                     [-1j * s, 0, 0, c]]),
    "rzz": np.diag([e(-0.15j), e(0.15j), e(0.15j), e(-0.15j)]),
    "ccx": ctrl(np.array([[0, 1], [1, 0]]), 2),
    "cswap": ctrl(np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]])),
    "c3x": ctrl(np.array([[0, 1], [1, 0]]), 3),
    "c3sqrtx": ctrl(0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]), 3),
    "c4x": ctrl(np.array([[0, 1], [1, 0]]), 4),
}
# rccx: a Toffoli up to relative phases: |101> -> -|101>, |110> -> i|111>, |111> -> -i|110>.
_rccx = np.zeros((8, 8), dtype=complex)
for col, (row, val) in enumerate([(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, -1), (7, 1j),
                                  (6, -1j)]):
    _rccx[row, col] = val
HAND["rccx"] = _rccx


def test_every_gate_has_a_hand_written_matrix_or_is_rc3x():
    assert set(GATES) - set(HAND) == {"rc3x"}


@pytest.mark.parametrize("name", sorted(GATES))
def test_matrix_is_unitary(name):
    m = gate_matrix(name, params_for(name))
    assert m.shape == (2 ** GATES[name].num_qubits,) * 2
    np.testing.assert_allclose(m @ m.conj().T, np.eye(len(m)), atol=1e-12)


@pytest.mark.parametrize("name", sorted(HAND))
def test_matrix_matches_hand_derivation(name):
    np.testing.assert_allclose(gate_matrix(name, params_for(name)), HAND[name], atol=1e-12)


def _qelib1_as_user_gates() -> str:
    """qelib1.inc with every gate renamed k_<name>, so the reader expands the definitions."""
    text = resources.files("kuafu.qasm").joinpath("qelib1.inc").read_text()
    names = sorted(QELIB1_GATES, key=len, reverse=True)
    pattern = re.compile(r"(?m)(^\s*|[{;]\s*|\bgate\s+)(" + "|".join(names) + r")\b")
    return pattern.sub(lambda m: f"{m.group(1)}k_{m.group(2)}", text)


@pytest.mark.parametrize("name", QELIB1_GATES)
def test_matrix_matches_qelib1_definition(name):
    """Expanding the standard definition gives the same operator up to a global phase
    (qelib1.inc's `ch`, `rz`, `sx`... differ from the exact matrices by one)."""
    spec = GATES[name]
    args = ",".join(f"q[{i}]" for i in range(spec.num_qubits))
    params = ",".join(repr(p) for p in params_for(name))
    call = f"k_{name}({params}) {args};" if params else f"k_{name} {args};"
    program = f"OPENQASM 2.0;\n{_qelib1_as_user_gates()}\nqreg q[{spec.num_qubits}];\n{call}\n"
    expanded = unitary(qasm.loads(program))
    direct = QuantumCircuit(spec.num_qubits)
    direct.append(name, list(range(spec.num_qubits)), params_for(name))
    expected = unitary(direct)
    assert equal_up_to_phase(expanded, expected), name


@pytest.mark.parametrize("name", QELIB1_GATES)
def test_matrix_matches_qiskit(name):
    from qiskit import QuantumCircuit as QiskitCircuit
    from qiskit import qasm2
    from qiskit.quantum_info import Operator

    spec = GATES[name]
    values = (3.0,) if name == "u0" else params_for(name)  # Qiskit reads u0 as a delay
    args = ",".join(f"q[{i}]" for i in range(spec.num_qubits))
    params = ",".join(repr(p) for p in values)
    call = f"{name}({params}) {args};" if params else f"{name} {args};"
    qiskit_circuit: QiskitCircuit = qasm2.loads(
        f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{spec.num_qubits}];\n{call}\n',
        custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    ours = QuantumCircuit(spec.num_qubits)
    ours.append(name, list(range(spec.num_qubits)), values)
    np.testing.assert_allclose(unitary(ours), Operator(qiskit_circuit).data, atol=1e-12)


@pytest.mark.parametrize("name", sorted(GATES))
def test_definition_equals_the_matrix(name):
    """Gates on three or more qubits have a definition (the one the compiler expands),
    equal to their matrix up to a global phase; smaller gates are primitives."""
    spec = GATES[name]
    if spec.num_qubits < 3:
        with pytest.raises(ValueError, match="primitive"):
            gate_definition(name, params_for(name))
        return
    qc = QuantumCircuit(spec.num_qubits)
    for step, positions, params in gate_definition(name, params_for(name)):
        qc.append(step, positions, params)
    direct = QuantumCircuit(spec.num_qubits)
    direct.append(name, list(range(spec.num_qubits)), params_for(name))
    assert equal_up_to_phase(unitary(qc), unitary(direct)), name


@pytest.mark.parametrize("name", sorted(GATES))
def test_inverse_steps_undo_the_gate(name):
    spec = GATES[name]
    qc = QuantumCircuit(spec.num_qubits)
    qc.append(name, list(range(spec.num_qubits)), params_for(name))
    for step, positions, params in inverse_steps(name, params_for(name)):
        qc.append(step, positions, params)
    np.testing.assert_allclose(unitary(qc), np.eye(2**spec.num_qubits), atol=1e-12)


def test_unknown_gate_and_wrong_parameter_count_are_value_errors():
    with pytest.raises(ValueError, match="unknown gate"):
        gate_matrix("nope")
    with pytest.raises(ValueError, match="takes 1 parameters"):
        gate_matrix("rx", ())


def test_cnot_is_an_alias_of_cx():
    np.testing.assert_array_equal(gate_matrix("cnot"), gate_matrix("cx"))
    qc = QuantumCircuit(2)
    qc.cnot(0, 1)
    assert qc.instructions[0].name == "cx"
