"""Quantum channels for noise models: Kraus operators, plus Pauli probabilities when they exist.

Convention: a channel on k qubits is written over the qubit list it is attached to, in the
same big-endian order as gate matrices (`kuafu.circuit.gate_matrix`): the first listed qubit
is the most significant bit of a Kraus matrix's row index, and the first character of a
Pauli label acts on the first listed qubit (`"XI"` is X on the first qubit).

Every channel keeps its Kraus operators (what the density-matrix engine needs). Channels
that are mixtures of unitaries keep them as `mixture` (what trajectories sample before
running), and Pauli channels also keep `pauli` probabilities (what `stim` needs).

Thermal relaxation times and durations may be in any unit, the same for all three.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from types import MappingProxyType

import numpy as np

_PAULI = {
    "I": np.eye(2, dtype=complex),
    "X": np.array([[0, 1], [1, 0]], dtype=complex),
    "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "Z": np.array([[1, 0], [0, -1]], dtype=complex),
}
_ATOL = 1e-12


def pauli_matrix(label: str) -> np.ndarray:
    """The matrix of a Pauli string, big-endian (`label[0]` on the most significant bit)."""
    return reduce(np.kron, (_PAULI[c] for c in label.upper()), np.eye(1, dtype=complex))


def pauli_labels(num_qubits: int) -> list[str]:
    """All Pauli strings on `num_qubits` qubits, identity first, in lexicographic IXYZ order."""
    return ["".join(p) for p in itertools.product("IXYZ", repeat=num_qubits)]


@dataclass(frozen=True, eq=False)
class Channel:
    """A completely positive trace-preserving map on `num_qubits` qubits.

    Attributes:
        kraus: Kraus operators, big-endian over the qubits the channel is attached to.
        pauli: for Pauli channels, probability of each Pauli string (identity included);
            None otherwise.
        mixture: for mixtures of unitaries, (probability, unitary) pairs; None otherwise.
        name: a short description, for messages and reprs.
    """

    kraus: tuple[np.ndarray, ...]
    pauli: Mapping[str, float] | None = None
    mixture: tuple[tuple[float, np.ndarray], ...] | None = None
    name: str = "kraus"

    @property
    def num_qubits(self) -> int:
        return int(self.kraus[0].shape[0]).bit_length() - 1

    @property
    def is_pauli(self) -> bool:
        """Whether the channel applies Pauli strings with fixed probabilities (stim can run it)."""
        return self.pauli is not None

    @property
    def is_unitary_mixture(self) -> bool:
        """Whether the channel picks a unitary with fixed odds (trajectories pre-sample it)."""
        return self.mixture is not None

    def superoperator(self) -> np.ndarray:
        """sum_k K (x) conj(K): acts on the row-major vectorisation of a density matrix."""
        return sum(np.kron(k, k.conj()) for k in self.kraus)

    def compose(self, then: Channel) -> Channel:
        """This channel followed by `then` (same qubits)."""
        if then.num_qubits != self.num_qubits:
            raise ValueError("composed channels must act on the same number of qubits")
        kraus = tuple(b @ a for a in self.kraus for b in then.kraus)
        pauli = mixture = None
        if self.pauli is not None and then.pauli is not None:
            pauli = _compose_pauli(self.pauli, then.pauli)
        elif self.mixture is not None and then.mixture is not None:
            mixture = tuple((pa * pb, ub @ ua) for pa, ua in self.mixture
                            for pb, ub in then.mixture)
        return _make(kraus, pauli, mixture, f"{self.name}+{then.name}")

    def tensor(self, other: Channel) -> Channel:
        """This channel on the leading qubits and `other` on the following ones."""
        kraus = tuple(np.kron(a, b) for a in self.kraus for b in other.kraus)
        pauli = mixture = None
        if self.pauli is not None and other.pauli is not None:
            pauli = {la + lb: pa * pb for la, pa in self.pauli.items()
                     for lb, pb in other.pauli.items()}
        elif self.mixture is not None and other.mixture is not None:
            mixture = tuple((pa * pb, np.kron(ua, ub)) for pa, ua in self.mixture
                            for pb, ub in other.mixture)
        return _make(kraus, pauli, mixture, f"{self.name}*{other.name}")

    def __repr__(self) -> str:
        return f"Channel({self.name}, {self.num_qubits} qubit(s), {len(self.kraus)} Kraus ops)"


def _make(kraus, pauli, mixture, name: str) -> Channel:
    """A channel whose Kraus list is aligned with its mixture (when it has one) and has at
    most d**2 operators (composing and tensoring would otherwise multiply them)."""
    if pauli is not None:
        pauli = MappingProxyType({k: float(v) for k, v in pauli.items() if v > 0})
        mixture = tuple((p, pauli_matrix(lab)) for lab, p in pauli.items())
    elif mixture is not None:
        mixture = tuple((float(p), np.asarray(u, dtype=complex)) for p, u in mixture if p > 0)
    if mixture is not None:
        ops = [math.sqrt(p) * u for p, u in mixture]
    else:
        ops = [k for k in (np.asarray(k, dtype=complex) for k in kraus)
               if np.abs(k).max() > _ATOL] or [np.zeros_like(np.asarray(kraus[0]))]
        if len(ops) > ops[0].shape[0] ** 2:
            ops = _minimal_kraus(ops)
    for k in ops:
        k.setflags(write=False)
    return Channel(tuple(ops), pauli, mixture, name)


def _minimal_kraus(kraus: list[np.ndarray]) -> list[np.ndarray]:
    """An equivalent set of at most d**2 Kraus operators, from the Choi matrix's eigenvectors."""
    d = kraus[0].shape[0]
    vecs = np.stack([k.reshape(-1) for k in kraus], axis=1)
    values, vectors = np.linalg.eigh(vecs @ vecs.conj().T)
    keep = values > 1e-14 * max(values.max(), 1e-300)
    return [math.sqrt(v) * vectors[:, i].reshape(d, d)
            for i, v in zip(np.nonzero(keep)[0], values[keep], strict=True)]


def _compose_pauli(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for la, pa in a.items():
        for lb, pb in b.items():
            label = "".join(_pauli_product(x, y) for x, y in zip(la, lb, strict=True))
            out[label] = out.get(label, 0.0) + pa * pb
    return out


def _pauli_product(x: str, y: str) -> str:
    """The Pauli (up to phase) of x*y."""
    if x == "I":
        return y
    if y == "I" or x == y:
        return "I" if x == y else x
    return ({"X", "Y", "Z"} - {x, y}).pop()


def kraus_channel(kraus: Sequence[np.ndarray], name: str = "kraus") -> Channel:
    """A channel from Kraus operators (checked to preserve the trace).

    Raises:
        ValueError: when the operators are not square, differ in shape, or sum_k K^dag K != I.
    """
    ops = [np.asarray(k, dtype=complex) for k in kraus]
    if not ops:
        raise ValueError("a channel needs at least one Kraus operator")
    dim = ops[0].shape[0]
    if any(k.shape != (dim, dim) for k in ops) or dim & (dim - 1) or dim < 2:
        raise ValueError("Kraus operators must be square, of one shape, with a power-of-two size")
    total = sum(k.conj().T @ k for k in ops)
    if not np.allclose(total, np.eye(dim), atol=1e-8):
        raise ValueError("Kraus operators do not preserve the trace (sum K^dag K != I)")
    return _make(ops, None, None, name)


def unitary_mixture(pairs: Sequence[tuple[float, np.ndarray]], name: str = "mixture") -> Channel:
    """Apply unitary U_i with probability p_i (a coherent error is one pair with p = 1).

    Raises:
        ValueError: when probabilities are negative or do not sum to 1, or a matrix is not
            unitary.
    """
    probs = [float(p) for p, _ in pairs]
    if min(probs) < 0 or not math.isclose(sum(probs), 1.0, abs_tol=1e-9):
        raise ValueError("mixture probabilities must be non-negative and sum to 1")
    for _, u in pairs:
        u = np.asarray(u, dtype=complex)
        if not np.allclose(u.conj().T @ u, np.eye(u.shape[0]), atol=1e-8):
            raise ValueError("every matrix of a unitary mixture must be unitary")
    kraus = [math.sqrt(p) * np.asarray(u, dtype=complex) for p, u in pairs]
    return _make(kraus, None, pairs, name)


def pauli_channel(probabilities: Mapping[str, float], name: str = "pauli") -> Channel:
    """Apply each Pauli string with the given probability; the identity takes the rest.

    Args:
        probabilities: Pauli label (e.g. "X", "ZZ", big-endian over the qubits) -> probability.
            Include "I"*k or leave it out: it is set to 1 - sum of the others.

    Raises:
        ValueError: for labels of mixed lengths or letters other than IXYZ, or probabilities
            that are negative or sum above 1.
    """
    labels = {label.upper(): float(p) for label, p in probabilities.items()}
    if not labels:
        raise ValueError("a Pauli channel needs at least one label")
    k = len(next(iter(labels)))
    if k == 0 or any(len(lab) != k or set(lab) - set("IXYZ") for lab in labels):
        raise ValueError(f"Pauli labels must be strings of IXYZ of one length: {list(labels)}")
    identity = "I" * k
    rest = sum(p for lab, p in labels.items() if lab != identity)
    if any(p < 0 for p in labels.values()) or rest > 1 + 1e-12:
        raise ValueError("Pauli probabilities must be non-negative and sum to at most 1")
    labels[identity] = max(0.0, 1.0 - rest)
    full = {lab: labels.get(lab, 0.0) for lab in pauli_labels(k)}
    kraus = [math.sqrt(p) * pauli_matrix(lab) for lab, p in full.items() if p > 0]
    return _make(kraus, full, None, name)


def depolarizing(p: float, num_qubits: int = 1) -> Channel:
    """rho -> (1 - p) rho + p I/d, Qiskit's `depolarizing_error(p, n)` (0 <= p <= 4^n/(4^n-1)).

    Each non-identity Pauli string gets probability p / 4^n.
    """
    d2 = 4**num_qubits
    if not 0 <= p <= d2 / (d2 - 1) + 1e-12:
        raise ValueError(f"depolarizing parameter {p} is outside [0, {d2}/{d2 - 1}]")
    labels = pauli_labels(num_qubits)
    probs = {lab: p / d2 for lab in labels[1:]}
    return pauli_channel(probs, name=f"depolarizing({p:g})")


def amplitude_damping(gamma: float, excited_population: float = 0.0) -> Channel:
    """Energy loss |1> -> |0> with probability `gamma` (generalised toward a thermal state).

    Args:
        gamma: probability of decay in the channel's duration.
        excited_population: equilibrium population of |1> (0 for a cold qubit).
    """
    if not 0 <= gamma <= 1 or not 0 <= excited_population <= 1:
        raise ValueError("gamma and excited_population must be in [0, 1]")
    p0, p1 = math.sqrt(1 - excited_population), math.sqrt(excited_population)
    g, r = math.sqrt(gamma), math.sqrt(1 - gamma)
    kraus = [
        p0 * np.array([[1, 0], [0, r]]), p0 * np.array([[0, g], [0, 0]]),
        p1 * np.array([[r, 0], [0, 1]]), p1 * np.array([[0, 0], [g, 0]]),
    ]
    return _make(kraus, None, None, f"amplitude_damping({gamma:g})")


def phase_damping(lam: float) -> Channel:
    """Loss of coherence without energy loss: off-diagonals shrink by sqrt(1 - lam).

    This is the Pauli channel Z with probability (1 - sqrt(1 - lam)) / 2, and is marked so.
    """
    if not 0 <= lam <= 1:
        raise ValueError("lam must be in [0, 1]")
    pz = (1 - math.sqrt(1 - lam)) / 2
    channel = pauli_channel({"Z": pz})
    return Channel(channel.kraus, channel.pauli, channel.mixture, f"phase_damping({lam:g})")


def thermal_relaxation(t1: float, t2: float, duration: float,
                       excited_population: float = 0.0) -> Channel:
    """Relaxation (T1) and dephasing (T2) of one qubit idling or gating for `duration`.

    Populations relax as exp(-duration/T1), coherences decay as exp(-duration/T2).
    `t1`, `t2` and `duration` share one unit; `math.inf` turns a process off.

    Raises:
        ValueError: when T2 > 2 T1 (unphysical) or a value is negative.
    """
    if t1 <= 0 or t2 <= 0 or duration < 0:
        raise ValueError("T1 and T2 must be positive and the duration non-negative")
    if t2 > 2 * t1 * (1 + 1e-12):
        raise ValueError(f"T2 = {t2} exceeds 2 T1 = {2 * t1}: not a physical channel")
    gamma = 1 - math.exp(-duration / t1)
    # amplitude damping leaves coherences at exp(-t/2T1); dephase the rest to exp(-t/T2).
    lam = 1 - min(1.0, math.exp(-2 * duration / t2 + duration / t1))
    channel = amplitude_damping(gamma, excited_population).compose(phase_damping(lam))
    if gamma == 0:
        channel = phase_damping(lam)
    name = f"thermal_relaxation(T1={t1:g}, T2={t2:g}, t={duration:g})"
    return Channel(channel.kraus, channel.pauli, channel.mixture, name)


@dataclass(frozen=True, eq=False)
class ReadoutError:
    """Classical assignment error of one measured qubit.

    Attributes:
        matrix: 2x2, `matrix[true][read]` = probability of reading `read` when the qubit is
            in `true`; rows sum to 1.
    """

    matrix: np.ndarray

    def __post_init__(self) -> None:
        m = np.asarray(self.matrix, dtype=float)
        if m.shape != (2, 2) or (m < 0).any() or not np.allclose(m.sum(axis=1), 1.0):
            raise ValueError("a readout error is a 2x2 probability matrix with rows summing to 1")
        m.setflags(write=False)
        object.__setattr__(self, "matrix", m)

    @property
    def flip_probabilities(self) -> tuple[float, float]:
        """(P(read 1 | 0), P(read 0 | 1))."""
        return float(self.matrix[0, 1]), float(self.matrix[1, 0])

    @property
    def fidelity(self) -> float:
        """Average assignment fidelity 1 - (P(1|0) + P(0|1)) / 2."""
        p01, p10 = self.flip_probabilities
        return 1 - (p01 + p10) / 2


def readout_error(p01: float, p10: float | None = None) -> ReadoutError:
    """A readout error reading 1 for |0> with probability `p01` and 0 for |1> with `p10`.

    `p10` defaults to `p01` (a symmetric error).
    """
    p10 = p01 if p10 is None else p10
    return ReadoutError(np.array([[1 - p01, p01], [p10, 1 - p10]]))
