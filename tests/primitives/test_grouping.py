"""Qubit-wise commuting groups and the basis changes that read them."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import random_circuit
from kuafu.circuit import QuantumCircuit
from kuafu.primitives import PauliSum, group_qubit_wise, measurement_circuit, qubit_wise_commute
from kuafu.sim import expectation, statevector

labels = st.lists(st.text("IXYZ", min_size=4, max_size=4), min_size=1, max_size=20)


@settings(max_examples=60, deadline=None)
@given(labels)
def test_groups_partition_the_terms_and_commute_qubit_wise(items):
    groups = group_qubit_wise(items)
    placed = sorted(i for g in groups for i in g.terms)
    assert placed == [i for i, label in enumerate(items) if set(label) != {"I"}]
    for g in groups:
        for i in g.terms:
            assert qubit_wise_commute(g.basis, items[i])
            assert all(b == "I" or b == x or x == "I" for b, x in zip(g.basis, items[i],
                                                                    strict=True))


def test_few_settings_for_known_hamiltonians():
    h2 = PauliSum.parse("II + IZ + ZI + ZZ + XX")
    assert len(group_qubit_wise(h2.labels)) == 2
    ising = PauliSum.from_sparse_list([("ZZ", [i, i + 1], 1) for i in range(7)]
                                      + [("X", [i], 1) for i in range(8)], 8)
    assert len(group_qubit_wise(ising.labels)) == 2


@pytest.mark.parametrize("basis", ["XYZ", "ZIX", "YYY", "IZI"])
def test_basis_change_turns_paulis_into_z_parities(basis, rng):
    prep = random_circuit(3, 12, rng)
    measured = measurement_circuit(prep, basis)
    rotated = measured.copy()
    rotated.instructions = [i for i in measured.instructions if i.name != "measure"]
    rotated.cregs = []
    probs = np.abs(statevector(rotated)) ** 2
    qubits = [q for q in range(3) if basis[2 - q] != "I"]
    parity = sum(p * (-1) ** sum((j >> q) & 1 for q in qubits) for j, p in enumerate(probs))
    assert parity == pytest.approx(expectation(prep, basis), abs=1e-9)
    assert [i.qubits[0] for i in measured.instructions if i.name == "measure"] == qubits


def test_measurement_circuit_refuses_wrong_width():
    with pytest.raises(ValueError):
        measurement_circuit(QuantumCircuit(2), "ZZZ")
