"""Exact synthesis of one- and two-qubit unitaries into the native gates rz, ry and cz.

One qubit: the Z-Y-Z Euler angles, so a generic unitary costs one physical pulse (ry)
between two virtual Z rotations. Two qubits: the KAK (Cartan) decomposition
U = phase * (A1 x B1) * exp(i(x XX + y YY + z ZZ)) * (A2 x B2), brought into the Weyl
chamber pi/4 >= x >= y >= |z|, and then the fewest CZs that unitary needs: 0 (local),
1 (x = pi/4, y = z = 0), 2 (z = 0) or 3. Matrices are big-endian over (q0, q1) as in
`kuafu.circuit.gates`.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..circuit.gates import Step, gate_matrix

ATOL = 1e-9
_PI4 = math.pi / 4

_MAGIC = np.array([[1, 0, 0, 1j], [0, 1j, 1, 0], [0, 1j, -1, 0], [1, 0, 0, -1j]],
                  dtype=complex) / math.sqrt(2)
_X = np.array([[0, 1], [1, 0]], dtype=complex)
_Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
_Z = np.array([[1, 0], [0, -1]], dtype=complex)
_I = np.eye(2, dtype=complex)
_H = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
_S = np.array([[1, 0], [0, 1j]], dtype=complex)
_RX90 = np.array([[1, -1j], [-1j, 1]], dtype=complex) / math.sqrt(2)
_PAULI2 = (np.kron(_X, _X), np.kron(_Y, _Y), np.kron(_Z, _Z))
# In the magic basis XX, YY and ZZ are diagonal; their diagonals give the linear map
# from (x, y, z, global phase) to the phases of exp(i(x XX + y YY + z ZZ)).
_SIGNS = np.array([np.real(np.diag(_MAGIC.conj().T @ p @ _MAGIC)) for p in _PAULI2]
                  + [np.ones(4)]).T


def wrap_angle(angle: float) -> float:
    """`angle` brought into (-pi, pi]."""
    a = math.remainder(angle, 2 * math.pi)
    return math.pi if a == -math.pi else a


# ----- 2x2 matrices as four entries ------------------------------------------------------
Mat2 = tuple[complex, complex, complex, complex]
"""A 2x2 matrix as (m00, m01, m10, m11): plain complex arithmetic beats numpy at this size."""


def entries_1q(name: str, params) -> Mat2:
    """A single-qubit library gate's matrix as four entries (fast for rz, ry and rx)."""
    if name not in ("rz", "ry", "rx"):
        if name in ("u3", "u"):
            return _u3_entries(float(params[0]), float(params[1]), float(params[2]))
        if name in ("p", "u1"):
            return 1 + 0j, 0j, 0j, cmath.exp(1j * float(params[0]))
        return _fixed_entries(name, tuple(params))
    h = 0.5 * float(params[0])
    c, s = math.cos(h), math.sin(h)
    if name == "rz":
        return complex(c, -s), 0j, 0j, complex(c, s)
    if name == "ry":
        return complex(c), complex(-s), complex(s), complex(c)
    return complex(c), complex(0, -s), complex(0, -s), complex(c)


def _u3_entries(theta: float, phi: float, lam: float) -> Mat2:
    """`gates.u3_matrix` as four entries, without numpy (every angle is new)."""
    c, s = math.cos(theta / 2), math.sin(theta / 2)
    return (complex(c), -cmath.exp(1j * lam) * s, cmath.exp(1j * phi) * s,
            cmath.exp(1j * (phi + lam)) * c)


@lru_cache(maxsize=4096)
def _fixed_entries(name: str, params: tuple) -> Mat2:
    m = gate_matrix(name, tuple(float(p) for p in params))
    return complex(m[0, 0]), complex(m[0, 1]), complex(m[1, 0]), complex(m[1, 1])


def mul_2x2(x: Mat2, y: Mat2) -> Mat2:
    """The product x @ y of two 2x2 matrices given as entries."""
    a, b, c, d = x
    e, f, g, h = y
    return a * e + b * g, a * f + b * h, c * e + d * g, c * f + d * h


# ----- one qubit -------------------------------------------------------------------------
def zyz_angles(u: np.ndarray) -> tuple[float, float, float]:
    """Angles (theta, phi, lam) with u = phase * Rz(phi) Ry(theta) Rz(lam)."""
    return zyz_of_entries(complex(u[0, 0]), complex(u[0, 1]), complex(u[1, 0]),
                          complex(u[1, 1]))


def zyz_of_entries(u00: complex, u01: complex, u10: complex, u11: complex
                   ) -> tuple[float, float, float]:
    """`zyz_angles` of the 2x2 matrix [[u00, u01], [u10, u11]]."""
    root = cmath.sqrt(u00 * u11 - u01 * u10)
    a, b = u00 / root, u10 / root
    abs_a, abs_b = abs(a), abs(b)
    theta = 2 * math.atan2(abs_b, abs_a)
    if abs_b < ATOL:  # diagonal: only phi + lam is defined
        return 0.0, -2 * cmath.phase(a), 0.0
    if abs_a < ATOL:  # anti-diagonal: only phi - lam is defined
        return theta, 2 * cmath.phase(b), 0.0
    plus, minus = -2 * cmath.phase(a), 2 * cmath.phase(b)
    return theta, (plus + minus) / 2, (plus - minus) / 2


def one_qubit_steps(u: np.ndarray, position: int = 0, atol: float = ATOL) -> list[Step]:
    """Native steps (rz, ry, rz in time order) for a 2x2 unitary; [] for the identity."""
    return zyz_steps(*zyz_angles(u), position=position, atol=atol)


def zyz_steps(theta: float, phi: float, lam: float, position: int = 0,
              atol: float = ATOL) -> list[Step]:
    """rz(lam), ry(theta), rz(phi) without the rotations that are identities."""
    theta = wrap_angle(theta)
    if abs(theta) < atol:
        total = wrap_angle(phi + lam)
        return [] if abs(total) < atol else [("rz", (position,), (total,))]
    steps: list[Step] = []
    lam, phi = wrap_angle(lam), wrap_angle(phi)
    if abs(lam) >= atol:
        steps.append(("rz", (position,), (lam,)))
    steps.append(("ry", (position,), (theta,)))
    if abs(phi) >= atol:
        steps.append(("rz", (position,), (phi,)))
    return steps


def y_then_z_steps(theta: float, lam: float, position: int = 0, atol: float = ATOL
                   ) -> tuple[list[Step], float]:
    """Fewest native steps for rz(lam) then ry(theta), up to a Z rotation after them.

    Returns (steps, extra) with Rz(extra) @ (the steps' product) = Ry(theta) @ Rz(lam):
    one rotation when the axis lies on +-x or +-y (lam a multiple of pi/2) or theta is
    pi, else rz(lam) then ry(theta). The caller moves `extra` into what follows (a Z
    rotation commutes through CZ), so a single-qubit run between CZs often costs one
    gate, not two.
    """
    theta, lam = wrap_angle(theta), wrap_angle(lam)
    if abs(theta) < atol:
        return [], lam
    if abs(abs(theta) - math.pi) < atol:  # Ry(pi) Rz(lam) = Rz(-lam) Ry(pi)
        return [("ry", (position,), (math.pi,))], -lam
    quarter = round(lam / (math.pi / 2))
    if abs(lam - quarter * (math.pi / 2)) < atol:
        # Rz(shift) R_axis(sign theta) Rz(-shift) = Ry(theta), shift = quarter * pi / 2
        axis, sign = _QUARTER_AXES[quarter % 4]
        return [(axis, (position,), (sign * theta,))], quarter * (math.pi / 2)
    return [("rz", (position,), (lam,)), ("ry", (position,), (theta,))], 0.0


_QUARTER_AXES = (("ry", 1.0), ("rx", 1.0), ("ry", -1.0), ("rx", -1.0))


def compact_steps(steps: Sequence[Step]) -> list[Step]:
    """Native steps (rz, ry, rx, cz) with each single-qubit run merged: at most one
    rotation (or rz then ry) per run between CZs, Z rotations moved through the CZs, and
    rz.ry.rz at the end. Equal to `steps` up to global phase."""
    out: list[Step] = []
    pend: dict[int, Mat2] = {}

    def flush(k: int, keep_z: bool) -> None:
        u = pend.pop(k, None)
        if u is None:
            return
        if keep_z and abs(u[1]) < 1e-12 and abs(u[2]) < 1e-12:
            pend[k] = u  # a Z rotation: it commutes through CZ
            return
        theta, phi, lam = zyz_of_entries(*u)
        run, extra = y_then_z_steps(theta, lam, k)
        out.extend(run)
        rest = wrap_angle(phi + extra)
        if abs(rest) > ATOL:
            if keep_z:
                pend[k] = entries_1q("rz", (rest,))
            else:
                out.append(("rz", (k,), (rest,)))

    for step in steps:
        name, pos, params = step
        if name == "cz":
            flush(pos[0], True)
            flush(pos[1], True)
            out.append(step)
        else:
            m = entries_1q(name, params)
            k = pos[0]
            pend[k] = m if k not in pend else mul_2x2(m, pend[k])
    for k in sorted(pend):
        flush(k, False)
    return out


# ----- two qubits ------------------------------------------------------------------------
def kak(u: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float],
                                np.ndarray, np.ndarray]:
    """The canonical KAK decomposition of a 4x4 unitary.

    Returns:
        (a1, b1, (x, y, z), a2, b2) with u = phase * kron(a1, b1) @ Can(x, y, z) @
        kron(a2, b2), Can = exp(i(x XX + y YY + z ZZ)), and pi/4 >= x >= y >= |z|.
    """
    k1, (x, y, z), k2 = _raw_kak(u)
    k1, (x, y, z), k2 = _canonicalise(k1, [x, y, z], k2)
    a1, b1 = _factor_local(k1)
    a2, b2 = _factor_local(k2)
    return a1, b1, (x, y, z), a2, b2


def _raw_kak(u: np.ndarray):
    u = u / np.linalg.det(u) ** 0.25
    up = _MAGIC.conj().T @ u @ _MAGIC
    m = up.T @ up
    # Re(m) and Im(m) are commuting real symmetric matrices: diagonalise them together.
    _, p = np.linalg.eigh(m.real + 0.6180339887 * m.imag)
    if np.linalg.det(p) < 0:
        p[:, 0] *= -1
    d2 = np.diag(p.T @ m @ p)
    d = np.sqrt(d2)
    o1 = (up @ p) / d
    o1 = o1.real
    if np.linalg.det(o1) < 0:
        o1[:, 0] *= -1
        d[0] *= -1
    x, y, z, _ = np.linalg.solve(_SIGNS, np.angle(d))
    k1 = _MAGIC @ o1 @ _MAGIC.conj().T
    k2 = _MAGIC @ p.T @ _MAGIC.conj().T
    return k1, (float(x), float(y), float(z)), k2


def _canonicalise(k1, c, k2):
    # Each coordinate into (-pi/4, pi/4]: exp(i(c+pi/2)P) = exp(icP) * iP, P local.
    for i in range(3):
        shift = round(c[i] / (math.pi / 2))
        if c[i] - shift * math.pi / 2 <= -_PI4 + 1e-12:
            shift -= 1
        if shift:
            c[i] -= shift * math.pi / 2
            if shift % 2:
                k2 = _PAULI2[i] @ k2
    # Sort by magnitude: conjugating both qubits by one Clifford permutes XX, YY, ZZ.
    swaps = {(0, 1): _S, (1, 2): _RX90, (0, 2): _H}
    for i, j in ((0, 1), (1, 2), (0, 1)):
        if abs(c[i]) < abs(c[j]) - 1e-12:
            cc = np.kron(swaps[(i, j)], swaps[(i, j)])
            k1, k2 = k1 @ cc.conj().T, cc @ k2
            c[i], c[j] = c[j], c[i]
    # Make x, y >= 0 by flipping signs in pairs (conjugating one qubit by a Pauli).
    flips = {(0, 1): _Z, (1, 2): _X, (0, 2): _Y}
    pairs = []
    if c[0] < 0:
        pairs.append((0, 1) if c[1] < 0 else (0, 2))
    for i, j in [*pairs, (1, 2)]:
        if (i, j) == (1, 2) and c[1] >= 0:
            continue
        f = np.kron(flips[(i, j)], _I)
        k1, k2 = k1 @ f, f @ k2
        c[i], c[j] = -c[i], -c[j]
    return k1, tuple(c), k2


def _factor_local(k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) with k = phase * kron(a, b), for a k that is a tensor product."""
    blocks = k.reshape(2, 2, 2, 2).transpose(0, 2, 1, 3)  # blocks[i, j] = a[i, j] * b
    norms = np.einsum("ijkl,ijkl->ij", blocks, blocks.conj()).real
    i, j = np.unravel_index(int(np.argmax(norms)), (2, 2))
    b = blocks[i, j]
    a = np.einsum("ijkl,kl->ij", blocks, b.conj()) / norms[i, j]
    return _to_su2(a), _to_su2(b)


def _to_su2(m: np.ndarray) -> np.ndarray:
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    return m / cmath.sqrt(det)


def num_cz(coords: Sequence[float], atol: float = 1e-7) -> int:
    """CZs needed for a unitary with canonical coordinates `coords` (in the chamber)."""
    x, y, z = coords
    if abs(x) < atol and abs(y) < atol and abs(z) < atol:
        return 0
    if abs(x - _PI4) < atol and abs(y) < atol and abs(z) < atol:
        return 1
    return 2 if abs(z) < atol else 3


def _core_steps(coords: Sequence[float], count: int) -> list[Step]:
    """Steps equal (up to phase) to exp(i(x XX + y YY + z ZZ)) using `count` CZs."""
    x, y, z = coords
    h0, h1 = ("h", (0,), ()), ("h", (1,), ())
    cz01 = ("cz", (0, 1), ())
    if count == 0:
        return []
    if count == 1:
        return [h0, h1, ("sdg", (0,), ()), ("sdg", (1,), ()), cz01, h0, h1]
    cx01 = [h1, cz01, h1]
    if count == 2:
        return [("rx", (0,), (math.pi / 2,)), *cx01,
                ("rx", (0,), (-2 * x,)), ("ry", (1,), (-2 * y,)),
                *cx01, ("rx", (0,), (-math.pi / 2,))]
    return [("rx", (0,), (math.pi / 2,)), *cx01,
            ("rx", (0,), (math.pi / 2 - 2 * x,)), ("ry", (1,), (math.pi / 2 - 2 * y,)),
            h0, cz01, h0,
            ("rx", (1,), (-math.pi / 2,)), ("rz", (1,), (math.pi / 2 - 2 * z,)),
            *cx01]


def two_qubit_steps(u: np.ndarray) -> list[Step]:
    """Steps over positions (0, 1) equal to the 4x4 `u` up to phase, with the fewest CZs.

    The single-qubit steps are library gates (h, sdg, rx, ry, ...) and the generic
    unitaries around the core are returned as `unitary1q` placeholders carrying their
    2x2 matrix in the parameters; `decompose` turns both into natives.
    """
    a1, b1, coords, a2, b2 = kak(u)
    count = num_cz(coords)
    return [("unitary1q", (0,), (a2,)), ("unitary1q", (1,), (b2,)),
            *_core_steps(coords, count),
            ("unitary1q", (0,), (a1,)), ("unitary1q", (1,), (b1,))]


def two_qubit_cz_count(u: np.ndarray) -> int:
    """The fewest CZs that implement the 4x4 unitary `u`."""
    return num_cz(kak(u)[2])
