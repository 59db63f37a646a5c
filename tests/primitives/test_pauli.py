"""`PauliSum`: parsing, construction, algebra, and its matrix against Qiskit's."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qiskit.quantum_info import SparsePauliOp

from kuafu.primitives import PauliSum


def test_parse_terms_signs_and_coefficients():
    h = PauliSum.parse("0.5*ZZ + 0.3*XI - 0.2 IY + YY - 1j*XX + (0.5+1j)*ZI + 2e-3*II")
    assert h.labels == ["ZZ", "XI", "IY", "YY", "XX", "ZI", "II"]
    assert np.allclose(h.coeffs, [0.5, 0.3, -0.2, 1, -1j, 0.5 + 1j, 2e-3])
    assert PauliSum.parse("-ZZ").coeffs[0] == -1
    assert PauliSum.parse("zx").labels == ["ZX"]


@pytest.mark.parametrize("bad", ["", "0.5*", "ZZ ZZ", "0.5*AB", "ZZ + ", "ZZ * 2"])
def test_parse_rejects_malformed_text(bad):
    with pytest.raises(ValueError):
        PauliSum.parse(bad)


def test_constructors_agree():
    a = PauliSum.parse("0.5*ZZ + 0.3*XI")
    assert PauliSum.from_list([("ZZ", 0.5), ("XI", 0.3)]) == a
    assert PauliSum.from_list([(0.5, "ZZ"), (0.3, "XI")]) == a
    assert PauliSum.from_sparse_list([("ZZ", [0, 1], 0.5), ("X", [1], 0.3)], 2) == a
    assert PauliSum.coerce({"ZZ": 0.5, "XI": 0.3}) == a
    assert PauliSum.coerce("0.5*ZZ + 0.3*XI") == a


def test_short_labels_pad_with_identity_on_high_qubits():
    h = PauliSum.parse("Z", num_qubits=3)
    assert h.labels == ["IIZ"]
    with pytest.raises(ValueError):
        PauliSum.parse("ZZZ", num_qubits=2)


def test_algebra_and_simplify():
    a = PauliSum.parse("ZZ + XI")
    b = PauliSum.parse("ZZ - XI")
    assert (a + b).simplify() == PauliSum.parse("2*ZZ")
    assert (a - b).simplify() == PauliSum.parse("2*XI")
    assert (3 * a).coeffs.tolist() == [3, 3]
    assert -a == PauliSum.parse("-ZZ - XI")
    assert not PauliSum.parse("1j*ZZ").is_hermitian
    assert PauliSum.parse(str(PauliSum.parse("0.5*ZZ - 0.25*XY"))) == PauliSum.parse(
        "0.5*ZZ - 0.25*XY")


labels = st.integers(1, 4).flatmap(
    lambda n: st.lists(st.text("IXYZ", min_size=n, max_size=n), min_size=1, max_size=6))


@settings(max_examples=40, deadline=None)
@given(labels, st.data())
def test_matrix_matches_qiskit(items, data):
    coeffs = data.draw(st.lists(st.floats(-2, 2), min_size=len(items), max_size=len(items)))
    ours = PauliSum(list(zip(coeffs, items, strict=True)))
    theirs = SparsePauliOp(items, coeffs)
    assert np.allclose(ours.to_matrix(), theirs.to_matrix())


def test_expectation_in_a_state_matches_the_matrix(rng):
    h = PauliSum.parse("0.5*ZZX - 0.3*XIY + 0.2j*YYZ + III")
    state = rng.normal(size=8) + 1j * rng.normal(size=8)
    state /= np.linalg.norm(state)
    assert h.expectation(state) == pytest.approx(np.vdot(state, h.to_matrix() @ state))
    with pytest.raises(ValueError):
        h.expectation(state[:4])


def test_a_string_builds_a_sum_as_parse_does():
    assert PauliSum("ZZ") == PauliSum.parse("ZZ") == PauliSum([(1, "ZZ")])
    assert PauliSum("0.5*ZZ - XI", 3) == PauliSum.parse("0.5*ZZ - XI", 3)
    with pytest.raises(ValueError, match="cannot parse"):
        PauliSum("ZZ XI")


@pytest.mark.parametrize("terms", [["ZZ", "XI"], [1, 2], {"ZZ": 1.0}, [(1, "ZZ", 0)]])
def test_terms_that_are_not_pairs_are_a_type_error_pointing_at_parse(terms):
    with pytest.raises(TypeError, match=r"PauliSum\.parse"):
        PauliSum(terms)
