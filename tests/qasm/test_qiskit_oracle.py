"""Qiskit as an independent oracle: its reader and ours agree on real programs and on
random circuits, in both directions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from helpers import QELIB1_GATES, equal_up_to_phase, random_circuit
from kuafu import qasm
from kuafu.circuit import QuantumCircuit, unitary

qiskit = pytest.importorskip("qiskit")
from qiskit import qasm2  # noqa: E402
from qiskit.circuit.random import random_circuit as qiskit_random_circuit  # noqa: E402
from qiskit.quantum_info import Operator  # noqa: E402

READABLE_BY_QISKIT = [g for g in QELIB1_GATES if g != "u0"]  # Qiskit reads u0 as a delay
CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.qasm"))


def qiskit_loads(text: str):
    return qasm2.loads(text, custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)


def gates_only(circuit: QuantumCircuit) -> QuantumCircuit:
    """The circuit without its measurements and barriers (for comparing operators)."""
    out = circuit.copy_empty()
    out.instructions = [i for i in circuit.instructions if i.name not in ("measure", "barrier")]
    return out


def test_corpus_is_present():
    assert len(CORPUS) >= 6


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_corpus_parses_round_trips_and_matches_qiskit(path):
    text = path.read_text()
    ours = qasm.loads(text)
    theirs = qiskit_loads(text)
    assert ours.num_qubits == theirs.num_qubits
    assert ours.num_clbits == theirs.num_clbits
    assert qasm.loads(qasm.dumps(ours)) == ours
    measures = sum(1 for i in ours.instructions if i.name == "measure")
    assert measures == theirs.count_ops().get("measure", 0)
    if not ours.has_mid_circuit_operations():
        reference = theirs.copy()
        reference.remove_final_measurements(inplace=True)
        np.testing.assert_allclose(unitary(gates_only(ours)), Operator(reference).data,
                                   atol=1e-9)


def test_kuafu_output_reads_in_qiskit_as_the_same_operator(rng):
    for n in (1, 2, 3, 4, 5, 6):
        for _ in range(15):
            circuit = random_circuit(n, 30, rng, gates=READABLE_BY_QISKIT)
            theirs = qiskit_loads(qasm.dumps(circuit))
            np.testing.assert_allclose(unitary(circuit), Operator(theirs).data, atol=1e-9)


def test_qiskit_output_reads_in_kuafu_as_the_same_operator():
    for seed in range(60):
        n = 1 + seed % 6
        theirs = qiskit_random_circuit(n, 12, max_operands=3, seed=seed)
        text = qasm2.dumps(theirs)
        ours = qasm.loads(text)
        # Qiskit's exporter drops the global phase of definitions such as ecr's
        assert equal_up_to_phase(unitary(ours), Operator(theirs).data), text


def test_qiskit_measured_circuits_keep_their_classical_layout():
    for seed in range(20):
        theirs = qiskit_random_circuit(4, 6, max_operands=2, measure=True, seed=seed)
        ours = qasm.loads(qasm2.dumps(theirs))
        assert [(i.qubits, i.clbits) for i in ours.instructions if i.name == "measure"] == [
            ((theirs.find_bit(ci.qubits[0]).index,), (theirs.find_bit(ci.clbits[0]).index,))
            for ci in theirs.data if ci.operation.name == "measure"]
