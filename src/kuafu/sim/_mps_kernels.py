"""Tensor operations of the matrix-product-state engine: the chain, its canonical form,
gates with SVD truncation, Kraus probabilities and shot sampling.

A chain of n sites holds tensors of shape (left bond, 2, right bond). It is kept in mixed
canonical form around one *center* site: sites left of it are left-isometric, sites right
of it right-isometric, so the center tensor alone carries the norm and the local reduced
density matrices, and a truncated SVD at a cut next to the center is the optimal one.

Tensors are never modified in place: an operation replaces list entries with new arrays.
Copying a chain (a trajectory that branches) is therefore a shallow copy of the list.
"""

from __future__ import annotations

import numpy as np

try:  # scipy is optional: it brings LAPACK's gesvd, the fallback when gesdd fails
    from scipy.linalg import svd as _scipy_svd
except ImportError:  # pragma: no cover - scipy is installed wherever the tests run
    _scipy_svd = None

from ._jit import exact_jit

__all__ = ["Chain", "sample_chain", "svd"]



def svd(m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD through LAPACK's gesdd, falling back to gesvd when gesdd does not converge.

    gesdd (divide and conquer) is several times faster; on rare ill-conditioned inputs it
    reports non-convergence, and the slower QR-iteration gesvd still succeeds.
    """
    try:
        return np.linalg.svd(m, full_matrices=False)
    except np.linalg.LinAlgError:
        if _scipy_svd is not None:
            return _scipy_svd(m, full_matrices=False, lapack_driver="gesvd")
        q, r = np.linalg.qr(m)  # a better-conditioned triangular factor, then gesdd on it
        u, s, vh = np.linalg.svd(r, full_matrices=False)
        return q @ u, s, vh


class Chain:
    """One matrix product state in mixed canonical form, with its truncation record.

    Attributes:
        t: site tensors, (left bond, 2, right bond), complex128.
        center: the orthogonality center.
        discarded: summed discarded weight of all truncations.
        fidelity: product of (1 - discarded weight) over truncations.
        max_bond: largest bond dimension reached.
    """

    __slots__ = ("center", "discarded", "fidelity", "max_bond", "t")

    def __init__(self, t: list[np.ndarray], center: int = 0, discarded: float = 0.0,
                 fidelity: float = 1.0, max_bond: int = 1) -> None:
        self.t = t
        self.center = center
        self.discarded = discarded
        self.fidelity = fidelity
        self.max_bond = max_bond

    @classmethod
    def zeros(cls, n: int) -> Chain:
        """|0...0> on n sites."""
        site = np.zeros((1, 2, 1), dtype=np.complex128)
        site[0, 0, 0] = 1.0
        return cls([site] * n)

    def copy(self) -> Chain:
        return Chain(list(self.t), self.center, self.discarded, self.fidelity, self.max_bond)

    @property
    def bonds(self) -> list[int]:
        """Bond dimension of each cut (between site i and i+1)."""
        return [a.shape[2] for a in self.t[:-1]]

    # ----- canonical form --------------------------------------------------------------
    def move_center(self, to: int) -> None:
        """Move the orthogonality center to site `to` by QR decompositions."""
        t = self.t
        c = self.center
        while c < to:
            a = t[c]
            lb, _, rb = a.shape
            q, r = np.linalg.qr(a.reshape(2 * lb, rb))
            t[c] = q.reshape(lb, 2, q.shape[1])
            nxt = t[c + 1]
            t[c + 1] = (r @ nxt.reshape(rb, -1)).reshape(r.shape[0], 2, nxt.shape[2])
            c += 1
        while c > to:
            a = t[c]
            lb, _, rb = a.shape
            q, r = np.linalg.qr(a.reshape(lb, 2 * rb).conj().T)  # a = r^H q^H
            t[c] = q.conj().T.reshape(q.shape[1], 2, rb)
            prv = t[c - 1]
            t[c - 1] = (prv.reshape(-1, lb) @ r.conj().T).reshape(prv.shape[0], 2, r.shape[0])
            c -= 1
        self.center = c

    # ----- one site ----------------------------------------------------------------------
    def apply1(self, p: int, m: np.ndarray) -> None:
        """A unitary 2x2 on site p (keeps the canonical form wherever the center is)."""
        self.t[p] = np.matmul(m, self.t[p])

    def site_rho(self, p: int, a: np.ndarray | None = None) -> np.ndarray:
        """2x2 reduced density matrix of site p (the center must be at p)."""
        a = self.t[p] if a is None else a
        x = a.transpose(1, 0, 2).reshape(2, -1)
        return x @ x.conj().T

    # ----- several adjacent sites ---------------------------------------------------------
    def theta(self, p: int, k: int) -> np.ndarray:
        """Sites p..p+k-1 contracted to (left bond, 2**k, right bond); moves the center in."""
        if self.center < p:
            self.move_center(p)
        elif self.center > p + k - 1:
            self.move_center(p + k - 1)
        t = self.t
        th = t[p]
        for j in range(1, k):
            b = t[p + j]
            th = (th.reshape(-1, b.shape[0]) @ b.reshape(b.shape[0], -1))
        return th.reshape(t[p].shape[0], 1 << k, t[p + k - 1].shape[2])

    def split(self, p: int, k: int, th: np.ndarray, right: bool, max_bond: int,
              threshold: float) -> None:
        """Write (left, 2**k, right) `th` back into sites p..p+k-1 by k-1 truncated SVDs.

        The result is normalised. The center ends at p+k-1 when `right`, else at p.
        """
        lb, _, rb = th.shape
        t = self.t
        if k == 2:
            self._split2(p, th.reshape(2 * lb, 2 * rb), lb, rb, right, max_bond, threshold)
            return
        rest = th.reshape(lb, -1)
        for j in range(k - 1):
            left = rest.shape[0]
            m = rest.reshape(2 * left, -1)
            u, s, vh = self._truncated(m, max_bond, threshold)
            t[p + j] = u.reshape(left, 2, s.size)
            rest = s[:, None] * vh
        t[p + k - 1] = rest.reshape(rest.shape[0], 2, rb)
        self.center = p + k - 1
        if not right:
            self.move_center(p)

    def _split2(self, p: int, m: np.ndarray, lb: int, rb: int, right: bool, max_bond: int,
                threshold: float) -> None:
        u, s, vh = self._truncated(m, max_bond, threshold)
        k = s.size
        if right:
            self.t[p] = u.reshape(lb, 2, k)
            self.t[p + 1] = (s[:, None] * vh).reshape(k, 2, rb)
            self.center = p + 1
        else:
            self.t[p] = (u * s).reshape(lb, 2, k)
            self.t[p + 1] = vh.reshape(k, 2, rb)
            self.center = p

    def _truncated(self, m: np.ndarray, max_bond: int, threshold: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """SVD of m keeping the values whose dropped squared weight is within `threshold`
        (relative to the norm) and at most `max_bond` of them; normalised singular values."""
        u, s, vh = svd(m)
        s2 = s * s
        total = float(s2.sum())
        keep = s.size
        if total > 0.0:
            tail = np.cumsum(s2[::-1])  # tail[j]: weight of the j+1 smallest values
            drop = int(np.searchsorted(tail, threshold * total, side="right"))
            keep = max(1, min(s.size - drop, max_bond))
            if keep < s.size:
                lost = float(tail[s.size - keep - 1]) / total
                if lost > 0.0:
                    self.discarded += lost
                    self.fidelity *= 1.0 - lost
                total = total - float(tail[s.size - keep - 1])
        if keep > self.max_bond:
            self.max_bond = keep
        s = s[:keep] / np.sqrt(total) if total > 0.0 else s[:keep]
        return u[:, :keep], s, vh[:keep]


def sample_chain(t: list[np.ndarray], center: int, shots: int, rng: np.random.Generator
                 ) -> np.ndarray:
    """`shots` samples of every site of a normalised chain: (shots, n) uint8, site order.

    All shots walk the chain together. Shots that read the same prefix form one *group*
    (one environment vector and a block of consecutive output rows); at each site a group
    of c shots sends as many shots to outcome 0 as of its c fresh uniforms fall below
    p(0 | prefix), so the work per site is one matrix product over the distinct prefixes,
    never more than one vector per shot. The walk starts from the end nearer to the center
    (after moving it there) so the sites ahead of the walk are isometries.
    """
    n = len(t)
    if n == 0 or shots == 0:
        return np.zeros((shots, n), dtype=np.uint8)
    chain = Chain(list(t), center)
    backwards = center > (n - 1) / 2
    if backwards:
        chain.move_center(n - 1)
        sites = [a.transpose(2, 1, 0) for a in reversed(chain.t)]
    else:
        chain.move_center(0)
        sites = chain.t
    env = np.ones((1, 1), dtype=np.complex128)
    starts = np.zeros(1, dtype=np.int64)
    counts = np.array([shots], dtype=np.int64)
    bits = np.empty((shots, n), dtype=np.uint8)
    for j, a in enumerate(sites):
        lb, _, rb = a.shape
        w = (env @ a.reshape(lb, 2 * rb)).reshape(-1, 2, rb)
        env, starts, counts = _split_groups(w, starts, counts, rng.random(shots), bits, j)
    if backwards:
        bits = bits[:, ::-1]
    return bits


@exact_jit
def _split_groups(w, starts, counts, u, bits, site):
    """Split each group g (rows starts[g]..+counts[g]) by outcome at `site`: rows whose
    uniform is below p(0) read 0 and come first. Returns the children's normalised
    environments, starts and counts."""
    groups, _, r = w.shape
    env = np.empty((2 * groups, r), dtype=w.dtype)
    new_starts = np.empty(2 * groups, dtype=np.int64)
    new_counts = np.empty(2 * groups, dtype=np.int64)
    k = 0
    for g in range(groups):
        p0 = 0.0
        p1 = 0.0
        for x in range(r):
            v0 = w[g, 0, x]
            v1 = w[g, 1, x]
            p0 += v0.real * v0.real + v0.imag * v0.imag
            p1 += v1.real * v1.real + v1.imag * v1.imag
        pr0 = p0 / (p0 + p1)
        s = starts[g]
        c = counts[g]
        n0 = 0
        for i in range(c):
            if u[s + i] < pr0:
                n0 += 1
        for outcome, first, size, p in ((0, s, n0, p0), (1, s + n0, c - n0, p1)):
            if size == 0:
                continue
            scale = 1.0 / np.sqrt(p)
            for x in range(r):
                env[k, x] = w[g, outcome, x] * scale
            new_starts[k] = first
            new_counts[k] = size
            for i in range(first, first + size):
                bits[i, site] = outcome
            k += 1
    return env[:k], new_starts[:k], new_counts[:k]
