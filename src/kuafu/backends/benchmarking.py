"""Characterising a backend the way a lab characterises a chip.

* `randomized_benchmarking_1q`: random single-qubit Clifford sequences (each Clifford
  one Z-Y-Z native sequence, at most one physical pulse) followed by their inverse; the
  survival probability decays as A p^m + B and the error per physical pulse is the
  error per Clifford divided by the average number of pulses per Clifford.
* `interleaved_rb_cz`: two-qubit Clifford sequences with and without a CZ after each
  Clifford; the CZ's average gate fidelity is 1 - (3/4)(1 - p_interleaved / p_reference).
* `readout_calibration`: prepare |0> and |1> on every qubit at once and count (the
  circuits of `kuafu.primitives.readout.measure`, reported as fidelities).

They run through `Backend.run(..., compile=False)` on native, mapped circuits, so what is
measured is exactly what the backend's noise does to the gates it is given. The
emulators are expected to reproduce their calibration data (see tests/backends).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..circuit import Instruction, QuantumCircuit
from ..compiler.synthesis import one_qubit_steps
from ..primitives import readout
from .base import Backend

_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_S = np.diag([1, 1j])


@dataclass(frozen=True)
class RBResult:
    """A fitted randomized-benchmarking decay.

    Attributes:
        lengths: sequence lengths m.
        survival: mean survival probability at each length.
        p: decay parameter of A p^m + B.
        error_per_clifford: (d - 1)/d (1 - p).
        fidelity: the figure asked for (per physical pulse, or of the CZ).
    """

    lengths: tuple[int, ...]
    survival: tuple[float, ...]
    p: float
    error_per_clifford: float
    fidelity: float


def fit_decay(lengths: Sequence[int], survival: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares fit of A p^m + B; returns (A, p, B).

    For a fixed p the best A and B solve a 2x2 linear system, so the fit scans p on a
    fine grid and refines the best point by golden-section search.
    """
    m = np.asarray(lengths, dtype=float)
    y = np.asarray(survival, dtype=float)

    def solve(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = p[:, None] ** m[None, :]
        n, sx, sxx = len(m), x.sum(1), (x * x).sum(1)
        sy, sxy = y.sum(), (x * y).sum(1)
        det = np.where(np.abs(n * sxx - sx * sx) < 1e-300, 1e-300, n * sxx - sx * sx)
        a = (n * sxy - sx * sy) / det
        b = (sy - a * sx) / n
        resid = ((a[:, None] * x + b[:, None] - y) ** 2).sum(1)
        return resid, a, b

    grid = np.linspace(0.5, 1.0, 5001)[:-1]
    best = float(grid[int(np.argmin(solve(grid)[0]))])
    lo, hi = max(0.5, best - 1e-4), min(1.0 - 1e-12, best + 1e-4)
    for _ in range(60):  # golden-section refinement
        a_, b_ = lo + 0.382 * (hi - lo), lo + 0.618 * (hi - lo)
        if solve(np.array([a_]))[0][0] < solve(np.array([b_]))[0][0]:
            hi = b_
        else:
            lo = a_
    p = (lo + hi) / 2
    _, a, b = solve(np.array([p]))
    return float(a[0]), float(p), float(b[0])


def clifford_group_1q() -> list[np.ndarray]:
    """The 24 single-qubit Cliffords (up to phase), generated from H and S."""
    found: list[np.ndarray] = [np.eye(2, dtype=complex)]
    frontier = list(found)
    while frontier:
        new = []
        for u in frontier:
            for g in (_H, _S):
                v = g @ u
                if not any(_same_up_to_phase(v, w) for w in found):
                    found.append(v)
                    new.append(v)
        frontier = new
    return found


def _same_up_to_phase(a: np.ndarray, b: np.ndarray) -> bool:
    return abs(abs(np.trace(a.conj().T @ b)) - a.shape[0]) < 1e-9


def _native(circuit: QuantumCircuit, steps, qubits: Sequence[int]) -> None:
    for name, pos, params in steps:
        circuit.instructions.append(
            Instruction(name, tuple(qubits[i] for i in pos), (), tuple(params)))


def randomized_benchmarking_1q(backend: Backend, qubit: int, *,
                               lengths: Sequence[int] = (1, 100, 250, 500, 800),
                               sequences: int = 12, shots: int = 2000,
                               seed: int | None = None) -> RBResult:
    """Standard RB on one physical qubit; `fidelity` is per physical pulse (rx/ry)."""
    rng = np.random.default_rng(seed)
    group = clifford_group_1q()
    steps = [one_qubit_steps(c) for c in group]
    pulses = np.mean([sum(1 for s in st if s[0] != "rz") for st in steps])
    survival = []
    for m in lengths:
        values = []
        for _ in range(sequences):
            qc = QuantumCircuit(qubit + 1, 1)
            total = np.eye(2, dtype=complex)
            for k in rng.integers(len(group), size=m):
                _native(qc, steps[k], [qubit])
                total = group[k] @ total
            _native(qc, one_qubit_steps(total.conj().T), [qubit])
            qc.measure(qubit, 0)
            counts = backend.run(qc, shots, compile=False,
                                 seed=int(rng.integers(2**31))).counts
            values.append(counts.get("0", 0) / shots)
        survival.append(float(np.mean(values)))
    _, p, _ = fit_decay(lengths, survival)
    epc = (1 - p) / 2
    return RBResult(tuple(lengths), tuple(survival), p, epc, 1 - epc / pulses)


def interleaved_rb_cz(backend: Backend, pair: tuple[int, int], *,
                      lengths: Sequence[int] = (1, 5, 10, 20, 35, 50),
                      sequences: int = 30, shots: int = 2000,
                      seed: int | None = None) -> tuple[RBResult, RBResult]:
    """Reference and CZ-interleaved two-qubit RB on a coupler.

    Shot noise dominates the spread of the estimate, and shots are cheap on the
    stabilizer engine, hence the many shots. Choose `lengths` so the decay is sampled
    before it flattens (a 96 % coupler needs lengths up to ~16, a 99 % one ~50).

    The 11520 two-qubit Cliffords are each written with the fewest CZs (see
    `_two_qubit_cliffords`; every angle a multiple of pi/2, so the circuits stay
    Clifford), and the inverse closing a sequence is one of them too.

    Returns:
        (reference, interleaved); the interleaved result's `fidelity` is the CZ's average
        gate fidelity, the reference's is 1 - error per Clifford.
    """
    import stim

    rng = np.random.default_rng(seed)
    table = _two_qubit_cliffords()
    cz = stim.Tableau.from_named_gate("CZ")
    a, b = pair
    width = max(a, b) + 1
    results = []
    for interleave in (False, True):
        survival = []
        seq_rng = np.random.default_rng(seed)  # same Clifford draws for both experiments
        for m in lengths:
            values = []
            for _ in range(sequences):
                qc = QuantumCircuit(width, 2)
                total = stim.Tableau(2)
                for k in seq_rng.integers(len(table), size=m):
                    _native(qc, table[int(k)].steps, pair)
                    total = total.then(table[int(k)].tableau)
                    if interleave:
                        qc.instructions.append(Instruction("cz", (a, b)))
                        total = total.then(cz)
                _native(qc, table[_INDEX_2Q[str(total.inverse())]].steps, pair)
                qc.measure(a, 0)
                qc.measure(b, 1)
                counts = backend.run(qc, shots, compile=False,
                                     seed=int(rng.integers(2**31))).counts
                values.append(counts.get("00", 0) / shots)
            survival.append(float(np.mean(values)))
        _, p, _ = fit_decay(lengths, survival)
        results.append((tuple(lengths), tuple(survival), p))
    (lr, sr, pr), (li, si, pi) = results
    reference = RBResult(lr, sr, pr, 0.75 * (1 - pr), 1 - 0.75 * (1 - pr))
    r_cz = 0.75 * (1 - pi / pr)
    interleaved = RBResult(li, si, pi, 0.75 * (1 - pi), 1 - r_cz)
    return reference, interleaved


@dataclass(frozen=True)
class _Clifford2q:
    """One two-qubit Clifford: its stim tableau and its native steps on qubits (0, 1)."""

    tableau: object
    steps: tuple


_CLIFFORDS_2Q: list[_Clifford2q] = []
_INDEX_2Q: dict[str, int] = {}  # str(tableau) -> position in _CLIFFORDS_2Q


def _two_qubit_cliffords() -> list[_Clifford2q]:
    """All 11520 two-qubit Cliffords, each with the fewest CZs, computed once.

    The four classes of Barends et al. (2014), time order left to right, A and B any of
    the 24 single-qubit Cliffords and X, Y any of the three in S1 = {I, SH, (SH)^2}:
    A(x)B (576); A(x)B, CNOT, X(x)Y (5184); A(x)B, two CNOTs, X(x)Y (5184);
    A(x)B, SWAP (576). Every single-qubit layer between CZs is one Z-Y-Z pulse at most,
    so a Clifford costs 1.5 CZs and 4 pulses on average (stim's generic synthesis: 2.7
    and 9.4). This matters beyond speed: when errors are not depolarizing, the IRB
    estimate carries a bias of order r_reference * r_CZ, and with stim's synthesis the
    weakest coupler of ScQ-P136 (95.6 %) read 0.43 pp high in the exact average; with
    these circuits the bias is 0.05 pp.
    """
    if _CLIFFORDS_2Q:
        return _CLIFFORDS_2Q
    import stim

    cz = stim.Tableau.from_named_gate("CZ")
    tableaux: dict[int, object] = {}

    def tableau_1q(u: np.ndarray):
        if id(u) not in tableaux:
            tableaux[id(u)] = stim.Tableau.from_unitary_matrix(u, endian="big")
        return tableaux[id(u)]

    def add(layers: list[tuple[np.ndarray, np.ndarray]]) -> None:
        tableau, steps = None, []
        for u0, u1 in layers:
            local = tableau_1q(u0) + tableau_1q(u1)
            if tableau is None:
                tableau = local
            else:
                steps.append(("cz", (0, 1), ()))
                tableau = tableau.then(cz).then(local)
            steps += one_qubit_steps(u0, 0) + one_qubit_steps(u1, 1)
        _INDEX_2Q[str(tableau)] = len(_CLIFFORDS_2Q)
        _CLIFFORDS_2Q.append(_Clifford2q(tableau, tuple(steps)))

    c1 = clifford_group_1q()
    order3 = _S @ _H
    s1 = [np.eye(2, dtype=complex), order3, order3 @ order3]
    h, eye = _H, s1[0]
    s1_h = [(x, x @ h) for x in s1]  # (X, X.H): CNOT's closing H merged into the layer
    for a in c1:
        for b in c1:
            hb = h @ b  # CNOT's opening H on the target merged into B
            add([(a, b)])
            for x, xh in s1_h:
                for y, yh in s1_h:
                    add([(a, hb), (x, yh)])
                    add([(a, hb), (h, h), (xh, y)])
            add([(a, hb), (h, h), (h, h), (eye, h)])
    return _CLIFFORDS_2Q


def readout_calibration(backend: Backend, qubits: Sequence[int], *, shots: int = 20000,
                        seed: int | None = None) -> dict[int, tuple[float, float]]:
    """Measured (p(0|0), p(1|1)) of each physical qubit, all qubits at once.

    The fidelities a chip's calibration publishes (`readout_p00`, `readout_p11`), from
    the assignment errors `kuafu.primitives.readout.measure` finds (its |0> and |1>
    circuits, run uncompiled): p(0|0) = 1 - p(1|0) and p(1|1) = 1 - p(0|1).
    """
    errors = readout.measure(backend, qubits, shots, seed=seed).errors
    return {q: (1 - e0, 1 - e1) for q, (e0, e1) in errors.items()}
