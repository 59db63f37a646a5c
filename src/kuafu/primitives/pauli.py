"""`PauliSum`: a weighted sum of Pauli strings, the observables of the Estimator.

Labels follow the count convention of Kuafu (and Qiskit's `SparsePauliOp`): the RIGHTMOST
character acts on qubit 0, so `"XI"` is X on qubit 1 and the identity on qubit 0.

    >>> H = PauliSum.parse("0.5*ZZ + 0.3*XI - 0.2*IY")
    >>> H.num_qubits, len(H)
    (2, 3)
    >>> PauliSum.from_list([("ZZ", 0.5), ("XI", 0.3)]) == PauliSum.parse("0.5*ZZ + 0.3*XI")
    True
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from numbers import Number

import numpy as np

from ..sim.api import pauli_masks

_LABEL = re.compile(r"^[IXYZ]+$")
_TERM = re.compile(
    r"""\s*(?P<sign>[+-])?\s*
        (?:(?P<coeff>\(?[0-9.eE+\-j\s]*[0-9j]\)?)\s*\*?\s*)?
        (?P<label>[IXYZ]+)\s*""", re.VERBOSE | re.IGNORECASE)


class PauliSum:
    """sum_k c_k P_k over Pauli strings P_k of one width, with complex coefficients.

    Args:
        terms: (coefficient, label) pairs, labels being strings over IXYZ with qubit 0
            rightmost; or one string, read by `parse` (`"ZZ"`, `"0.5*ZZ + 0.3*XI"`).
        num_qubits: the width; default the longest label (shorter labels are padded with
            identities on the higher qubits).

    Raises:
        ValueError: for a label that is not over IXYZ or is wider than `num_qubits`, or a
            string that does not parse.
        TypeError: for terms that are not (coefficient, label) pairs.

    >>> PauliSum("ZZ")
    PauliSum(1*ZZ)
    >>> PauliSum([(0.5, "ZZ"), (0.3, "XI")])
    PauliSum(0.5*ZZ + 0.3*XI)
    """

    __slots__ = ("_num_qubits", "_terms")

    def __init__(self, terms: Iterable[tuple[complex, str]] | str,
                 num_qubits: int | None = None):
        if isinstance(terms, str):
            terms = _parse_terms(terms)
        items = [(complex(c), _check_label(label)) for c, label in map(_pair, terms)]
        width = max((len(label) for _, label in items), default=0)
        if num_qubits is None:
            num_qubits = width
        if width > num_qubits:
            raise ValueError(f"a label of {width} qubits does not fit in {num_qubits}")
        self._num_qubits = int(num_qubits)
        self._terms = tuple((c, label.rjust(num_qubits, "I")) for c, label in items)

    # ----- construction ------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str, num_qubits: int | None = None) -> PauliSum:
        """Read `"0.5*ZZ + 0.3*XI - YY"`: terms `[sign] [coefficient [*]] label`.

        Coefficients may be real or complex (`1j`, `(0.5+1j)`); a missing one is 1.

        Raises:
            ValueError: with the position of the first character that does not parse.
        """
        return cls(_parse_terms(text), num_qubits)

    @classmethod
    def from_list(cls, items: Iterable[Sequence], num_qubits: int | None = None) -> PauliSum:
        """From `[("ZZ", 0.5), ...]` (Qiskit's order) or `[(0.5, "ZZ"), ...]`."""
        terms = []
        for first, second in items:
            terms.append((second, first) if isinstance(first, str) else (first, second))
        return cls(terms, num_qubits)

    @classmethod
    def from_sparse_list(cls, items: Iterable[tuple[str, Sequence[int], complex]],
                         num_qubits: int) -> PauliSum:
        """From `[("ZZ", [0, 3], 0.5), ...]`: letters placed on the listed qubits."""
        terms = []
        for letters, qubits, coeff in items:
            if len(letters) != len(qubits):
                raise ValueError(f"{letters!r} has {len(letters)} letters for {len(qubits)} "
                                 "qubits")
            chars = ["I"] * num_qubits
            for letter, q in zip(letters, qubits, strict=True):
                if not 0 <= q < num_qubits:
                    raise ValueError(f"qubit {q} out of range for {num_qubits} qubits")
                chars[num_qubits - 1 - q] = letter
            terms.append((coeff, "".join(chars)))
        return cls(terms, num_qubits)

    @classmethod
    def coerce(cls, value: PauliSum | str | Iterable, num_qubits: int | None = None
               ) -> PauliSum:
        """A `PauliSum` from itself, a string to `parse`, or a list for `from_list`."""
        if isinstance(value, PauliSum):
            if num_qubits is not None and value.num_qubits != num_qubits:
                return cls(value.terms, num_qubits)
            return value
        if isinstance(value, str):
            return cls.parse(value, num_qubits)
        if isinstance(value, dict):
            return cls([(c, label) for label, c in value.items()], num_qubits)
        return cls.from_list(value, num_qubits)

    # ----- inspection --------------------------------------------------------------------
    @property
    def num_qubits(self) -> int:
        return self._num_qubits

    @property
    def terms(self) -> tuple[tuple[complex, str], ...]:
        """(coefficient, label) pairs, labels padded to `num_qubits`."""
        return self._terms

    @property
    def labels(self) -> list[str]:
        return [label for _, label in self._terms]

    @property
    def coeffs(self) -> np.ndarray:
        return np.array([c for c, _ in self._terms], dtype=complex)

    @property
    def is_hermitian(self) -> bool:
        """Whether every coefficient is real once like terms are combined."""
        return bool(np.allclose(self.simplify().coeffs.imag, 0, atol=1e-12))

    def __len__(self) -> int:
        return len(self._terms)

    def __iter__(self) -> Iterator[tuple[complex, str]]:
        return iter(self._terms)

    # ----- algebra -----------------------------------------------------------------------
    def simplify(self, atol: float = 1e-12) -> PauliSum:
        """Like terms combined (first-seen order kept), near-zero ones dropped."""
        combined: dict[str, complex] = {}
        for c, label in self._terms:
            combined[label] = combined.get(label, 0) + c
        return PauliSum([(c, label) for label, c in combined.items() if abs(c) > atol],
                        self._num_qubits)

    def __add__(self, other: PauliSum | str) -> PauliSum:
        other = PauliSum.coerce(other)
        width = max(self.num_qubits, other.num_qubits)
        return PauliSum(self.terms + other.terms, width)

    __radd__ = __add__

    def __neg__(self) -> PauliSum:
        return self * -1

    def __sub__(self, other: PauliSum | str) -> PauliSum:
        return self + (-PauliSum.coerce(other))

    def __mul__(self, scalar: complex) -> PauliSum:
        if not isinstance(scalar, Number):
            return NotImplemented
        return PauliSum([(c * scalar, label) for c, label in self._terms], self._num_qubits)

    __rmul__ = __mul__

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PauliSum):
            return NotImplemented
        a, b = self.simplify(), other.simplify()
        if a.num_qubits != b.num_qubits or set(a.labels) != set(b.labels):
            return False
        mine = dict(zip(a.labels, a.coeffs, strict=True))
        return all(abs(mine[label] - c) < 1e-12 for c, label in b)

    __hash__ = None  # type: ignore[assignment]

    # ----- dense form --------------------------------------------------------------------
    def to_matrix(self) -> np.ndarray:
        """The 2^n x 2^n matrix, little-endian (qubit 0 is bit 0 of the index)."""
        n = self._num_qubits
        if n > 14:
            raise ValueError(f"a dense matrix of {n} qubits is too large")
        dim = 2**n
        out = np.zeros((dim, dim), dtype=complex)
        rows = np.arange(dim)
        for c, label in self._terms:
            image, phases = _action(label, rows)
            out[image, rows] += c * phases
        return out

    def expectation(self, state: np.ndarray) -> complex:
        """<state|self|state> for a little-endian statevector of `num_qubits` qubits."""
        state = np.asarray(state)
        if state.shape != (2**self._num_qubits,):
            raise ValueError(f"a state of {self._num_qubits} qubits has {2**self._num_qubits} "
                             f"amplitudes, got shape {state.shape}")
        index = np.arange(state.size)
        total = 0j
        for c, label in self._terms:
            image, phases = _action(label, index)
            total += c * np.sum(phases * np.conj(state[image]) * state)
        return complex(total)

    def __repr__(self) -> str:
        return f"PauliSum({self})"

    def __str__(self) -> str:
        if not self._terms:
            return "0"
        parts = []
        for c, label in self._terms:
            num = f"{c.real:g}" if c.imag == 0 else f"({c:g})"
            parts.append(f"{num}*{label}")
        return " + ".join(parts).replace("+ -", "- ")


def _action(label: str, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the Pauli string sends each basis state, and the phase it picks up:
    P|j> = i^ny (-1)^popcount(j & z) |j ^ x> (little-endian basis indices)."""
    x, z, ny = pauli_masks(label)
    signs = 1 - 2 * (np.bitwise_count(index & z) & 1).astype(np.int64)
    return index ^ x, (1j**ny) * signs


def _parse_terms(text: str) -> list[tuple[complex, str]]:
    """The (coefficient, label) terms of `"0.5*ZZ + 0.3*XI - YY"` (see `PauliSum.parse`)."""
    terms: list[tuple[complex, str]] = []
    pos, text = 0, text.strip()
    if not text:
        raise ValueError("empty Pauli sum")
    while pos < len(text):
        match = _TERM.match(text, pos)
        if match is None or match.end() == pos or (terms and not match["sign"]):
            raise ValueError(f"cannot parse Pauli sum at position {pos}: {text[pos:]!r}")
        coeff = complex(match["coeff"].replace(" ", "")) if match["coeff"] else 1.0
        terms.append((-coeff if match["sign"] == "-" else coeff, match["label"]))
        pos = match.end()
    return terms


def _pair(term) -> tuple:
    if isinstance(term, str) or not hasattr(term, "__len__") or len(term) != 2:
        raise TypeError(f"PauliSum takes (coefficient, label) pairs or one string such as "
                        f"'0.5*ZZ + XI', got the term {term!r}; see PauliSum.parse and "
                        "PauliSum.from_list")
    return term


def _check_label(label: str) -> str:
    if not isinstance(label, str):
        raise TypeError(f"a Pauli label must be a string, got {type(label).__name__}")
    label = label.strip().upper()
    if not _LABEL.match(label):
        raise ValueError(f"Pauli label {label!r} is not a string over I, X, Y, Z")
    return label
