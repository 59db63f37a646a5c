"""The gate library: every gate's name, arity, parameters, exact unitary and inverse.

Matrix convention: a gate's matrix is written over its own argument list in
big-endian order, the textbook one: the FIRST listed qubit is the MOST significant
bit of the row index. So `cx` (control first) is [[1,0,0,0],[0,1,0,0],[0,0,0,1],
[0,0,1,0]] and every controlled gate is block-diag(I, ..., U). Whole-circuit
operators and states use the opposite, little-endian order (see `unitary.py`).

The names and definitions are those of OpenQASM 2's `qelib1.inc` plus the gates
Quafu's chips list (`sy`, `sydg`; `cnot` is an alias of `cx`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

_I2 = np.eye(2, dtype=complex)
_SQ2 = 1 / math.sqrt(2)

Step = tuple[str, tuple[int, ...], tuple]
"""One step of a gate's definition or inverse: (gate name, positions among the gate's own
qubit arguments, parameters)."""

InverseRule = Callable[[tuple[float, ...]], tuple[str, tuple[float, ...]]]


@dataclass(frozen=True)
class GateSpec:
    """What the library knows about one gate.

    Attributes:
        name: the OpenQASM 2 name.
        num_qubits: how many qubits it acts on.
        num_params: how many real parameters (angles) it takes.
        matrix: builds the exact unitary from the parameters.
        inverse: maps parameters to the (name, parameters) of the inverse gate, or None
            when the inverse is not a library gate (it is then taken from the definition).
        definition: maps parameters to the gate's body as `Step`s over library gates (the
            `qelib1.inc` definition), for every gate on three or more qubits; `inverse`
            falls back on it, and the compiler expands such gates with it.
    """

    name: str
    num_qubits: int
    num_params: int
    matrix: Callable[..., np.ndarray]
    inverse: InverseRule | None = None
    definition: Callable[[tuple[float, ...]], list[Step]] | None = None


def u3_matrix(theta: float, phi: float, lam: float) -> np.ndarray:
    """The generic single-qubit rotation U(theta, phi, lambda) of OpenQASM 2."""
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return np.array(
        [
            [c, -np.exp(1j * lam) * s],
            [np.exp(1j * phi) * s, np.exp(1j * (phi + lam)) * c],
        ],
        dtype=complex,
    )


def controlled(u: np.ndarray, num_controls: int = 1) -> np.ndarray:
    """Block-diag(I, U): `u` applied when all controls (the leading qubits) are 1."""
    dim = u.shape[0] << num_controls
    out = np.eye(dim, dtype=complex)
    out[dim - u.shape[0]:, dim - u.shape[0]:] = u
    return out


def _const(matrix: np.ndarray) -> Callable[[], np.ndarray]:
    matrix = np.asarray(matrix, dtype=complex)
    matrix.setflags(write=False)
    return lambda: matrix


def _phase(lam: float) -> np.ndarray:
    return np.array([[1, 0], [0, np.exp(1j * lam)]], dtype=complex)


def _rx(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -1j * s], [-1j * s, c]], dtype=complex)


def _ry(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), math.sin(t / 2)
    return np.array([[c, -s], [s, c]], dtype=complex)


def _rz(t: float) -> np.ndarray:
    return np.array([[np.exp(-0.5j * t), 0], [0, np.exp(0.5j * t)]], dtype=complex)


def _rxx(t: float) -> np.ndarray:
    c, s = math.cos(t / 2), -1j * math.sin(t / 2)
    return np.array([[c, 0, 0, s], [0, c, s, 0], [0, s, c, 0], [s, 0, 0, c]], dtype=complex)


def _rzz(t: float) -> np.ndarray:
    a, b = np.exp(-0.5j * t), np.exp(0.5j * t)
    return np.diag([a, b, b, a]).astype(complex)


def _cu(theta: float, phi: float, lam: float, gamma: float) -> np.ndarray:
    return controlled(np.exp(1j * gamma) * u3_matrix(theta, phi, lam))


X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) * _SQ2
S = _phase(math.pi / 2)
T = _phase(math.pi / 4)
SX = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]], dtype=complex) / 2
SY = np.array([[1 + 1j, -1 - 1j], [1 + 1j, 1 + 1j]], dtype=complex) / 2
SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)


def _neg(*idx: int) -> InverseRule:
    """Inverse of a gate whose inverse negates (and possibly reorders) its parameters."""
    return lambda p: (None, tuple(-p[i] for i in idx))  # type: ignore[return-value]


def _same(name: str) -> InverseRule:
    return lambda p: (name, p)


# Definitions (qelib1.inc) of the gates on three or more qubits: the compiler expands them,
# and `inverse_steps` uses them where the inverse is not itself a library gate.
def _ccx_def(_p) -> list[Step]:
    return [
        ("h", (2,), ()), ("cx", (1, 2), ()), ("tdg", (2,), ()), ("cx", (0, 2), ()),
        ("t", (2,), ()), ("cx", (1, 2), ()), ("tdg", (2,), ()), ("cx", (0, 2), ()),
        ("t", (1,), ()), ("t", (2,), ()), ("h", (2,), ()), ("cx", (0, 1), ()),
        ("t", (0,), ()), ("tdg", (1,), ()), ("cx", (0, 1), ()),
    ]


def _cswap_def(_p) -> list[Step]:
    return [("cx", (2, 1), ()), ("ccx", (0, 1, 2), ()), ("cx", (2, 1), ())]


def _c3x_def(_p) -> list[Step]:
    a, b, c, d = 0, 1, 2, 3
    p8 = math.pi / 8
    seq: list[Step] = [("h", (d,), ())] + [("p", (q,), (p8,)) for q in (a, b, c, d)]
    pattern = [
        ((a, b), -1), ((a, b), 0), ((b, c), -1), ((a, c), 1), ((b, c), -1), ((a, c), 0),
        ((c, d), -1), ((b, d), 1), ((c, d), -1), ((a, d), 1), ((c, d), -1), ((b, d), 1),
        ((c, d), -1), ((a, d), 0),
    ]
    for (ctl, tgt), sign in pattern:
        seq.append(("cx", (ctl, tgt), ()))
        if sign:
            seq.append(("p", (tgt,), (sign * p8,)))
    return [*seq, ("h", (d,), ())]


def _c4x_def(_p) -> list[Step]:
    pi = math.pi
    half = [("h", (4,), ()), ("cu1", (3, 4), (pi / 2,)), ("h", (4,), ()),
            ("c3x", (0, 1, 2, 3), ())]
    back = [("h", (4,), ()), ("cu1", (3, 4), (-pi / 2,)), ("h", (4,), ()),
            ("c3x", (0, 1, 2, 3), ())]
    return [*half, *back, ("c3sqrtx", (0, 1, 2, 4), ())]


def _rccx_def(_p) -> list[Step]:
    pi = math.pi
    return [
        ("u2", (2,), (0, pi)), ("u1", (2,), (pi / 4,)), ("cx", (1, 2), ()),
        ("u1", (2,), (-pi / 4,)), ("cx", (0, 2), ()), ("u1", (2,), (pi / 4,)),
        ("cx", (1, 2), ()), ("u1", (2,), (-pi / 4,)), ("u2", (2,), (0, pi)),
    ]


def _rc3x_def(_p) -> list[Step]:
    pi = math.pi
    return [
        ("u2", (3,), (0, pi)), ("u1", (3,), (pi / 4,)), ("cx", (2, 3), ()),
        ("u1", (3,), (-pi / 4,)), ("u2", (3,), (0, pi)), ("cx", (0, 3), ()),
        ("u1", (3,), (pi / 4,)), ("cx", (1, 3), ()), ("u1", (3,), (-pi / 4,)),
        ("cx", (0, 3), ()), ("u1", (3,), (pi / 4,)), ("cx", (1, 3), ()),
        ("u1", (3,), (-pi / 4,)), ("u2", (3,), (0, pi)), ("u1", (3,), (pi / 4,)),
        ("cx", (2, 3), ()), ("u1", (3,), (-pi / 4,)), ("u2", (3,), (0, pi)),
    ]


def _c3sqrtx_def(_p) -> list[Step]:
    """Controlled^3 sqrt(X) as in qelib1.inc, with each `h; cu1(a); h` kept as one cu-step."""
    pi = math.pi
    steps: list[Step] = []
    pattern = [
        ((0, 3), pi / 8), ("cx", (0, 1)), ((1, 3), -pi / 8), ("cx", (0, 1)),
        ((1, 3), pi / 8), ("cx", (1, 2)), ((2, 3), -pi / 8), ("cx", (0, 2)),
        ((2, 3), pi / 8), ("cx", (1, 2)), ((2, 3), -pi / 8), ("cx", (0, 2)),
        ((2, 3), pi / 8),
    ]
    for item in pattern:
        if item[0] == "cx":
            steps.append(("cx", item[1], ()))
        else:
            qubits, angle = item
            steps += [("h", (3,), ()), ("cu1", qubits, (angle,)), ("h", (3,), ())]
    return steps


def _gates() -> dict[str, GateSpec]:
    pi = math.pi
    specs = [
        GateSpec("id", 1, 0, _const(_I2), _same("id")),
        GateSpec("u0", 1, 1, lambda g: _I2.copy(), _neg(0)),
        GateSpec("u1", 1, 1, _phase, _neg(0)),
        GateSpec("p", 1, 1, _phase, _neg(0)),
        GateSpec("u2", 1, 2, lambda phi, lam: u3_matrix(pi / 2, phi, lam),
                 lambda p: ("u3", (-pi / 2, -p[1], -p[0]))),
        GateSpec("u3", 1, 3, u3_matrix, _neg(0, 2, 1)),
        GateSpec("u", 1, 3, u3_matrix, _neg(0, 2, 1)),
        GateSpec("x", 1, 0, _const(X), _same("x")),
        GateSpec("y", 1, 0, _const(Y), _same("y")),
        GateSpec("z", 1, 0, _const(Z), _same("z")),
        GateSpec("h", 1, 0, _const(H), _same("h")),
        GateSpec("s", 1, 0, _const(S), _same("sdg")),
        GateSpec("sdg", 1, 0, _const(S.conj().T), _same("s")),
        GateSpec("t", 1, 0, _const(T), _same("tdg")),
        GateSpec("tdg", 1, 0, _const(T.conj().T), _same("t")),
        GateSpec("sx", 1, 0, _const(SX), _same("sxdg")),
        GateSpec("sxdg", 1, 0, _const(SX.conj().T), _same("sx")),
        GateSpec("sy", 1, 0, _const(SY), _same("sydg")),
        GateSpec("sydg", 1, 0, _const(SY.conj().T), _same("sy")),
        GateSpec("rx", 1, 1, _rx, _neg(0)),
        GateSpec("ry", 1, 1, _ry, _neg(0)),
        GateSpec("rz", 1, 1, _rz, _neg(0)),
        GateSpec("cx", 2, 0, _const(controlled(X)), _same("cx")),
        GateSpec("cy", 2, 0, _const(controlled(Y)), _same("cy")),
        GateSpec("cz", 2, 0, _const(controlled(Z)), _same("cz")),
        GateSpec("ch", 2, 0, _const(controlled(H)), _same("ch")),
        GateSpec("swap", 2, 0, _const(SWAP), _same("swap")),
        GateSpec("crx", 2, 1, lambda t: controlled(_rx(t)), _neg(0)),
        GateSpec("cry", 2, 1, lambda t: controlled(_ry(t)), _neg(0)),
        GateSpec("crz", 2, 1, lambda t: controlled(_rz(t)), _neg(0)),
        GateSpec("cu1", 2, 1, lambda t: controlled(_phase(t)), _neg(0)),
        GateSpec("cp", 2, 1, lambda t: controlled(_phase(t)), _neg(0)),
        GateSpec("cu3", 2, 3, lambda t, p, l: controlled(u3_matrix(t, p, l)), _neg(0, 2, 1)),
        GateSpec("cu", 2, 4, _cu, _neg(0, 2, 1, 3)),
        GateSpec("csx", 2, 0, _const(controlled(SX)),
                 lambda p: ("cu", (-pi / 2, -pi / 2, pi / 2, -pi / 4))),
        GateSpec("rxx", 2, 1, _rxx, _neg(0)),
        GateSpec("rzz", 2, 1, _rzz, _neg(0)),
        GateSpec("ccx", 3, 0, _const(controlled(X, 2)), _same("ccx"), _ccx_def),
        GateSpec("cswap", 3, 0, _const(controlled(SWAP)), _same("cswap"), _cswap_def),
        GateSpec("rccx", 3, 0, lambda: _matrix_of_definition(_rccx_def(()), 3),
                 None, _rccx_def),
        GateSpec("rc3x", 4, 0, lambda: _matrix_of_definition(_rc3x_def(()), 4),
                 None, _rc3x_def),
        GateSpec("c3x", 4, 0, _const(controlled(X, 3)), _same("c3x"), _c3x_def),
        GateSpec("c3sqrtx", 4, 0, _const(controlled(SX, 3)), None, _c3sqrtx_def),
        GateSpec("c4x", 5, 0, _const(controlled(X, 4)), _same("c4x"), _c4x_def),
    ]
    return {spec.name: spec for spec in specs}


GATES: dict[str, GateSpec] = _gates()
"""Every unitary gate of the library, by name."""

ALIASES: dict[str, str] = {"cnot": "cx", "U": "u3", "CX": "cx", "phase": "p"}
"""Other names accepted for library gates (OpenQASM built-ins and Quafu spellings)."""

NON_UNITARY: frozenset[str] = frozenset({"measure", "reset", "barrier", "delay"})
"""Instruction names that are not gates: they have no matrix (barrier and delay act as
identities on an ideal machine)."""


def canonical_name(name: str) -> str:
    """The library name for `name`, resolving aliases such as `cnot`."""
    return ALIASES.get(name, name)


def gate_matrix(name: str, params: Sequence[float] = ()) -> np.ndarray:
    """The exact unitary of a library gate, big-endian over its qubit arguments.

    Raises:
        ValueError: for an unknown name or a wrong number of parameters.
        TypeError: for an unbound symbolic parameter.
    """
    spec = _spec(name)
    if len(params) != spec.num_params:
        raise ValueError(f"gate {name} takes {spec.num_params} parameters, got {len(params)}")
    values = tuple(float(p) for p in params)
    return _cached_matrix(spec.name, values) if not values else spec.matrix(*values)


@cache
def _cached_matrix(name: str, _values: tuple) -> np.ndarray:
    matrix = np.asarray(GATES[name].matrix(), dtype=complex)
    matrix.setflags(write=False)
    return matrix


def gate_definition(name: str, params: Sequence = ()) -> list[Step]:
    """A gate's definition: its body as `Step`s over library gates, as in `qelib1.inc`.

    Every gate on three or more qubits has one; gates on one and two qubits are the
    library's primitives (their matrices are exact) and have none.

    Args:
        name: a library gate name or alias.
        params: the gate's parameters (numbers or symbolic expressions).

    Raises:
        ValueError: for an unknown gate, or one without a definition.

    >>> gate_definition("cswap")
    [('cx', (2, 1), ()), ('ccx', (0, 1, 2), ()), ('cx', (2, 1), ())]
    """
    spec = _spec(name)
    if spec.definition is None:
        raise ValueError(f"gate {spec.name!r} is a primitive of the library; it has no "
                         "definition")
    return spec.definition(tuple(params))


def inverse_steps(name: str, params: Sequence) -> list[Step]:
    """The inverse of a gate as steps (name, qubit positions, params) over its arguments.

    Parameters may be numbers or symbolic expressions: the rules only negate and reorder.
    """
    spec = _spec(name)
    params = tuple(params)
    if spec.inverse is not None:
        new_name, new_params = spec.inverse(params)
        return [(new_name or spec.name, tuple(range(spec.num_qubits)), new_params)]
    steps = []
    for step_name, qubits, step_params in reversed(spec.definition(params)):
        for inv_name, inv_qubits, inv_params in inverse_steps(step_name, step_params):
            steps.append((inv_name, tuple(qubits[i] for i in inv_qubits), inv_params))
    return steps


def _spec(name: str) -> GateSpec:
    try:
        return GATES[canonical_name(name)]
    except KeyError:
        raise ValueError(f"unknown gate {name!r}") from None


def _matrix_of_definition(steps, num_qubits: int) -> np.ndarray:
    """Multiply a definition's steps into one big-endian matrix over `num_qubits`."""
    total = np.eye(2**num_qubits, dtype=complex)
    for name, qubits, params in steps:
        total = embed(gate_matrix(name, params), qubits, num_qubits) @ total
    return total


def embed(matrix: np.ndarray, qubits: Sequence[int], num_qubits: int) -> np.ndarray:
    """`matrix` (big-endian over `qubits`) as an operator on `num_qubits` qubits, big-endian."""
    others = [q for q in range(num_qubits) if q not in qubits]
    full = np.kron(matrix, np.eye(2 ** len(others)))  # big-endian over qubits + others
    order = list(qubits) + others
    perm = [order.index(q) for q in range(num_qubits)]
    tensor = full.reshape((2,) * (2 * num_qubits))
    tensor = tensor.transpose(perm + [num_qubits + p for p in perm])
    return tensor.reshape(2**num_qubits, 2**num_qubits)
