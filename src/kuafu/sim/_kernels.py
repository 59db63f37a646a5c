"""Numba kernels that act in place on one statevector.

Conventions shared by every kernel:

* `state` is a 1-D, C-contiguous complex64 or complex128 array of length 2**n, little-endian:
  qubit k is bit k of the index.
* `qubits` is an ascending int64 array. A k-qubit `matrix`, `diag`, `perm` or `phases` argument
  is indexed little-endian over `qubits`: bit j of its index is the value of qubit `qubits[j]`.
  Callers convert gate matrices (big-endian over their argument list) before calling.
* Matrices have the state's dtype, so complex64 states compute in single precision.

Work is split into tasks of about `RUN` amplitudes (parallel over the cores with `prange`);
inside a task, the loops run over contiguous stretches of memory so LLVM can vectorise them.
Nothing compiles at import: each kernel compiles on its first call, then comes from numba's
on-disk cache.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._jit import flush_subnormals, prefetch, restore_fp
from ._jit import jit as _jit
from ._jit import pjit as _pjit
from ._simd import (
    LANES,
    TILE_BITS,
    deinterleave,
    dense4_inplace,
    interleave,
    phased_rotations_inplace,
    rotations_inplace,
    rows_to_tiles,
    tiles_to_rows,
)

CODEGEN_SOURCES = {"_simd.py": "4fc9fa066168dbb1", "_jit.py": "5cebae8360c86725"}
"""sha256 (first 16 hex digits) of the modules whose LLVM code generation these kernels inline.

numba keys its on-disk cache of a kernel on the text of the file that defines it, this one,
so an edit to `_simd.py` or `_jit.py` alone would leave every cached kernel stale: a test
fails until these hashes are updated, and updating them changes this file's text."""

RUN = 4096
"""Amplitudes per parallel task: large enough to amortise scheduling, small enough for L1/L2."""


@_jit(inline="always")
def _insert_zeros(i, qubits):
    """Spread the bits of `i` so that the (ascending) `qubits` positions hold zeros."""
    for q in qubits:
        i = ((i >> q) << (q + 1)) | (i & ((1 << q) - 1))
    return i


@_jit(inline="always")
def _offsets(qubits):
    """offsets[a] = the index offset of local basis state `a` (bit j of a -> qubits[j])."""
    k = qubits.size
    offs = np.zeros(1 << k, dtype=np.int64)
    for a in range(1 << k):
        o = 0
        for j in range(k):
            if (a >> j) & 1:
                o |= 1 << qubits[j]
        offs[a] = o
    return offs


@_jit
def _pair_run(x, y, m00, m01, m10, m11):
    """x, y <- m00 x + m01 y, m10 x + m11 y elementwise.

    Not inlined on purpose: as a call, `x` and `y` reach LLVM as separate arguments and one
    runtime overlap check lets the loop vectorise. Inlined on two slices of one state, the
    check also compares the real and imaginary fields of `x` with each other, always finds
    them overlapping and falls back to scalar code (about 8x slower in cache).
    """
    for r in range(x.size):
        a = x[r]
        b = y[r]
        x[r] = m00 * a + m01 * b
        y[r] = m10 * a + m11 * b


@_jit(inline="always")
def _task_layout(n_items, run):
    """(items per task, number of tasks) for `n_items` split into tasks of about `run`."""
    per = min(n_items, run)
    return per, n_items // per


@_pjit
def apply_1q(state, q, m):
    """Apply the 2x2 matrix `m` to qubit `q`."""
    m00, m01, m10, m11 = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
    half = 1 << q
    npairs = state.size >> 1
    if half >= 16:
        run = min(half, RUN)
        ntask = npairs // run
        for t in prange(ntask):
            fp = flush_subnormals()
            p = t * run
            i0 = ((p >> q) << (q + 1)) | (p & (half - 1))
            _pair_run(state[i0:i0 + run], state[i0 + half:i0 + half + run], m00, m01, m10, m11)
            restore_fp(fp)
    else:
        size, ntask = _task_layout(state.size, RUN)
        for t in prange(ntask):
            fp = flush_subnormals()
            base = t * size
            for b in range(base, base + size, 2 * half):
                for j in range(b, b + half):
                    a = state[j]
                    c = state[j + half]
                    state[j] = m00 * a + m01 * c
                    state[j + half] = m10 * a + m11 * c
            restore_fp(fp)


@_pjit
def apply_controlled_1q(state, positions, ctrl_mask, target, m):
    """Apply the 2x2 `m` to `target` where every bit of `ctrl_mask` is set.

    `positions` holds the control qubits and the target, ascending.
    """
    m00, m01, m10, m11 = m[0, 0], m[0, 1], m[1, 0], m[1, 1]
    tbit = 1 << target
    ngroups = state.size >> positions.size
    run = min(1 << positions[0], RUN, ngroups)
    per, ntask = _task_layout(ngroups, max(run, RUN >> positions.size))
    for t in prange(ntask):
        fp = flush_subnormals()
        for g in range(t * per, (t + 1) * per, run):
            i0 = _insert_zeros(g, positions) | ctrl_mask
            i1 = i0 | tbit
            _pair_run(state[i0:i0 + run], state[i1:i1 + run], m00, m01, m10, m11)
        restore_fp(fp)


COLS = 4096
"""Amplitudes gathered per batch by the k-qubit kernels (buffer of COLS complex numbers)."""


@_jit(inline="always")
def _batch_layout(ngroups, run, k):
    """(groups per batch, number of batches): batches hold ~COLS/2**k groups, whole runs."""
    per = min(ngroups, max(run, COLS >> k))
    return per, ngroups // per


@_jit(inline="always")
def _gather(state, buf, g0, per, run, qubits, offs):
    """buf[a, c] = amplitude a of group g0 + c, for `per` consecutive groups."""
    dim = offs.size
    for j in range(0, per, run):
        base = _insert_zeros(g0 + j, qubits)
        for a in range(dim):
            src = state[base + offs[a]:base + offs[a] + run]
            row = buf[a, j:j + run]
            for r in range(run):
                row[r] = src[r]


@_jit(inline="always")
def _scatter_row(state, out, g0, per, run, qubits, off):
    """Write `out` (one local basis state of `per` groups) back at offset `off`."""
    for j in range(0, per, run):
        base = _insert_zeros(g0 + j, qubits) + off
        dst = state[base:base + run]
        src = out[j:j + run]
        for r in range(run):
            dst[r] = src[r]


@_pjit
def apply_diagonal(state, qubits, diag):
    """Multiply each amplitude by diag[its local index]; stretches with factor 1 are skipped.

    The factors of the low `LOWBITS` index bits are tabulated once per value of the
    gate's higher qubits, so the inner loop multiplies two contiguous arrays.
    """
    k = qubits.size
    size, ntask = _task_layout(state.size, RUN)
    low = 0
    while low < k and (1 << qubits[low]) < size:
        low += 1
    nhigh = 1 << (k - low)
    table = np.empty((nhigh, size), dtype=state.dtype)
    for h in range(nhigh):
        for r in range(size):
            idx = h << low
            for j in range(low):
                idx |= ((r >> qubits[j]) & 1) << j
            table[h, r] = diag[idx]
    trivial = np.empty(nhigh, dtype=np.bool_)
    for h in range(nhigh):
        trivial[h] = True
        for r in range(size):
            if table[h, r] != 1:
                trivial[h] = False
                break
    for t in prange(ntask):
        base = t * size
        h = 0
        for j in range(low, k):
            h |= ((base >> qubits[j]) & 1) << (j - low)
        if not trivial[h]:
            row = table[h]
            seg = state[base:base + size]
            for r in range(size):
                seg[r] *= row[r]


@_pjit
def apply_phase_gates(state, low, high, diag):
    """Multiply by the product of diagonal gates on one or two qubits, in one pass.

    Gate g acts on qubits `low[g]` < `high[g]` (`high[g]` = -1: one qubit) with phases
    `diag[g, b]`, bit 0 of b the value of `low[g]`, bit 1 that of `high[g]`. In a task of
    `RUN` amplitudes the bits from log2(RUN) up are fixed, so each gate is a constant, a factor
    on one low bit, or (both qubits low) part of a table shared by all tasks; the factors of
    the low bits multiply out into one row per task. Any number of such gates (the controlled
    phases of a QFT stage) costs about one pass over the state.
    """
    size, ntask = _task_layout(state.size, RUN)
    bits = 0
    while (1 << bits) < size:
        bits += 1
    shared = np.ones(size, dtype=state.dtype)
    one = shared[0]
    for g in range(low.size):
        a = low[g]
        b = high[g]
        if b < bits and a < bits:
            for i in range(size):
                idx = (i >> a) & 1
                if b >= 0:
                    idx |= ((i >> b) & 1) << 1
                shared[i] *= diag[g, idx]
    for t in prange(ntask):
        base = t * size
        factor = np.ones((max(bits, 1), 2), dtype=state.dtype)
        const = one
        for g in range(low.size):
            a = low[g]
            b = high[g]
            if b < 0:
                if a >= bits:
                    const *= diag[g, (base >> a) & 1]
            elif a >= bits:
                const *= diag[g, ((base >> a) & 1) | (((base >> b) & 1) << 1)]
            elif b >= bits:
                hb = ((base >> b) & 1) << 1
                factor[a, 0] *= diag[g, hb]
                factor[a, 1] *= diag[g, hb | 1]
        row = np.empty(size, dtype=state.dtype)
        row[0] = const
        filled = 1
        for a in range(bits):
            _double_row(row[:filled], row[filled:2 * filled], factor[a, 0], factor[a, 1])
            filled *= 2
        _scale_run(state[base:base + size], row, shared)


@_jit
def _double_row(lo, hi, f0, f1):
    """hi <- lo * f1, then lo <- lo * f0 (one more bit of a separable product)."""
    for i in range(lo.size):
        v = lo[i]
        hi[i] = v * f1
        lo[i] = v * f0


@_jit
def _scale_run(x, a, b):
    """x <- x * a * b elementwise (a call, not inlined: see `_pair_run`)."""
    for i in range(x.size):
        x[i] = x[i] * a[i] * b[i]


@_pjit
def apply_monomial(state, qubits, perm, phases):
    """new[perm[a]] = phases[a] * old[a] on every group of 2**k amplitudes (X, CX, SWAP, CCX...)."""
    k = qubits.size
    dim = 1 << k
    offs = _offsets(qubits)
    ngroups = state.size >> k
    run = min(1 << qubits[0], ngroups)
    per, nbatch = _batch_layout(ngroups, run, k)
    for t in prange(nbatch):
        buf = np.empty((dim, per), dtype=state.dtype)
        out = np.empty(per, dtype=state.dtype)
        g0 = t * per
        _gather(state, buf, g0, per, run, qubits, offs)
        for a in range(dim):
            ph = phases[a]
            row = buf[a]
            for c in range(per):
                out[c] = ph * row[c]
            _scatter_row(state, out, g0, per, run, qubits, offs[perm[a]])


@_pjit
def apply_dense(state, qubits, matrix):
    """Apply a dense 2**k x 2**k `matrix` to `qubits` (k up to about 6).

    Groups are gathered into a (2**k, per) buffer so the multiply runs over long
    contiguous rows whatever the qubits are; two output rows are formed per sweep.
    """
    k = qubits.size
    dim = 1 << k
    offs = _offsets(qubits)
    ngroups = state.size >> k
    run = min(1 << qubits[0], ngroups)
    per, nbatch = _batch_layout(ngroups, run, k)
    for t in prange(nbatch):
        fp = flush_subnormals()
        buf = np.empty((dim, per), dtype=state.dtype)
        acc0 = np.empty(per, dtype=state.dtype)
        acc1 = np.empty(per, dtype=state.dtype)
        g0 = t * per
        _gather(state, buf, g0, per, run, qubits, offs)
        for b in range(0, dim, 2):
            m0 = matrix[b, 0]
            m1 = matrix[b + 1, 0]
            row = buf[0]
            for c in range(per):
                x = row[c]
                acc0[c] = m0 * x
                acc1[c] = m1 * x
            for a in range(1, dim):
                m0 = matrix[b, a]
                m1 = matrix[b + 1, a]
                row = buf[a]
                for c in range(per):
                    x = row[c]
                    acc0[c] += m0 * x
                    acc1[c] += m1 * x
            _scatter_row(state, acc0, g0, per, run, qubits, offs[b])
            _scatter_row(state, acc1, g0, per, run, qubits, offs[b + 1])
        restore_fp(fp)


@_pjit
def probability_of_one(state, q):
    """Probability that measuring qubit `q` gives 1 (the state need not be normalised)."""
    half = 1 << q
    size, ntask = _task_layout(state.size >> 1, RUN)
    total = 0.0
    for t in prange(ntask):
        p0 = t * size
        s = 0.0
        for p in range(p0, p0 + size):
            i = ((p >> q) << (q + 1)) | (p & (half - 1)) | half
            a = state[i]
            s += a.real * a.real + a.imag * a.imag
        total += s
    return total


@_pjit
def collapse(state, q, outcome, scale):
    """Project qubit `q` onto `outcome` (0 or 1) and multiply the kept amplitudes by `scale`."""
    size, ntask = _task_layout(state.size, RUN)
    bit = 1 << q
    want = bit if outcome else 0
    zero = state.dtype.type(0)
    for t in prange(ntask):
        for i in range(t * size, (t + 1) * size):
            if (i & bit) == want:
                state[i] *= scale
            else:
                state[i] = zero


@_pjit
def chunk_probabilities(state, chunk):
    """Sum of |amplitude|^2 over each consecutive chunk of `chunk` amplitudes (float64)."""
    nchunk = state.size // chunk
    f = state.view(state.real.dtype)
    out = np.empty(nchunk, dtype=np.float64)
    for c in prange(nchunk):
        out[c] = _sum_squares(f[2 * c * chunk:2 * (c + 1) * chunk])
    return out


@_jit
def _sum_squares(x):
    """Sum of x**2 in float64 (on the float view, so that the loop vectorises)."""
    s = 0.0
    for i in range(x.size):
        v = np.float64(x[i])
        s += v * v
    return s


@_jit
def sample_in_chunks(state, chunk, chunk_cum, targets):
    """Basis indices for ascending cumulative-probability `targets` (inverse-CDF sampling).

    `chunk_cum[c]` is the total probability of chunks before c (length nchunk + 1).
    """
    out = np.empty(targets.size, dtype=np.int64)
    nchunk = chunk_cum.size - 1
    c = 0
    j = 0
    while j < targets.size:
        u = targets[j]
        while c < nchunk - 1 and chunk_cum[c + 1] <= u:
            c += 1
        acc = chunk_cum[c]
        i = c * chunk
        last = (c + 1) * chunk - 1
        nonzero = -1
        while j < targets.size and (targets[j] < chunk_cum[c + 1] or c == nchunk - 1):
            u = targets[j]
            while i < last:
                a = state[i]
                p = a.real * a.real + a.imag * a.imag
                if p > 0:
                    nonzero = i
                if acc + p > u:
                    break
                acc += p
                i += 1
            a = state[i]
            if a.real == 0 and a.imag == 0 and nonzero >= 0:
                out[j] = nonzero  # rounding left u past the chunk's last non-zero amplitude
            else:
                out[j] = i
            j += 1
    return out


BLOCK_BUFFER = 1 << 16
"""Amplitudes per batch of `apply_block` (its planar buffer stays in the L2 cache)."""
LONG_RUN = 64
"""Longest run of contiguous amplitudes one buffer column block takes: blocks on high qubits
have runs of 2**10 and more, and at 512 their buffer (2**19 amplitudes, 8 MiB in double
precision) left the L2 cache; 64 keeps it at 1 MiB (random-24 in double: 2.7 against 3.3 s
of CPU time)."""
PREFETCH_ROWS = 4
"""Rows ahead whose runs `apply_block` prefetches while it copies one (runs 2**q apart)."""
TILE = 1 << TILE_BITS
"""Contiguous amplitudes `apply_block` reads at once when the block's qubits allow it; a
multiple of `_simd.LANES`, so runs of TILE or more amplitudes move as whole vectors."""
assert TILE % LANES == 0
MIN_ROW_BYTES = 256
"""Shortest buffer row of `apply_block` (64 floats in single precision, 32 in double; at
width 10 the 2**16 amplitudes of BLOCK_BUFFER already give 64-amplitude rows).

512 suited the auto-vectorised micro-operations, whose calls each paid overlap checks; with
the explicit vector kernels of `_simd` (no checks), the half-size buffer (512 KiB in single
precision) that 256 gives is faster: single precision, width 10, two threads, alternating
builds: random-24 0.47 -> 0.36 s, QV-24 0.86 -> 0.76 s, random-20 and QV-20 10-13 %
(docs/sim-statevector.md)."""
TILE_COLS = 8
"""Groups `apply_block` transposes at a time when runs are short: rows of the buffer take
TILE_COLS amplitudes each from as many places in the state, 2**k or more apart, i.e. in one
L1 set (12 ways): 16 at a time thrashed it (scatter at 24 qubits, single precision: 58 ms
with 16, 17 ms with 8, one thread)."""


@_pjit
def apply_block(f, qubits, kinds, row_start, row_count, rows, par_start, pr, pi,
                aux, final_rows, batches_per_thread):
    """Run a `fusion.BlockProgram` on the state whose float view (re, im interleaved) is `f`.

    `pr`, `pi` are the program's parameters in the state's float type. For each batch of
    groups, the amplitudes of every local basis state are gathered into a planar (real,
    imaginary) buffer of rows, the micro-operations run on whole rows, and the rows are
    written back through `final_rows` (see `fusion.BlockProgram`).
    """
    k = qubits.size
    dim = 1 << k
    offs = _offsets(qubits)
    ngroups = (f.size >> 1) >> k
    # Whole contiguous runs (up to LONG_RUN) make the gather stream; otherwise fill the buffer,
    # with rows of at least MIN_ROW_BYTES so the micro-operations' loops are long enough.
    per = min(ngroups, max(MIN_ROW_BYTES // f.itemsize, BLOCK_BUFFER >> k,
                           min(1 << qubits[0], LONG_RUN)))
    while per > 1 and ngroups // per < batches_per_thread:
        per >>= 1
    run = min(1 << qubits[0], per)
    low = qubits[k - 1] == k - 1  # qubits 0..k-1: every group is one contiguous run
    # Some of qubits 0..TILE_BITS-1 in the block, not all: gather whole tiles of 2**TILE_BITS
    # amplitudes (see `_tile_layout`), when the state and the batch are large enough.
    nl = 0
    while nl < k and qubits[nl] < TILE_BITS:
        nl += 1
    tiled = (run < TILE and (f.size >> 1) >= (TILE << (k - nl))
             and per % (1 << (TILE_BITS - nl)) == 0)
    high_q, pos = _tile_layout(qubits, nl)
    lowmask = 0
    for j in range(nl):
        lowmask |= 1 << qubits[j]
    vector_tiles = per % LANES == 0
    tiled = tiled and (vector_tiles or not low)
    ident = np.arange(dim)
    nbatch = ngroups // per
    ftype = f.dtype
    gmax = 1
    for op in range(kinds.size):
        if kinds[op] == 3:
            gmax = max(gmax, 1 << aux[op])
    # Buffers are allocated per chunk of batches, not per batch: a fresh 1-2 MiB buffer comes
    # from mmap, and touching it page-faults (28672 faults per block call at 24 qubits in
    # double precision when every batch allocated its own).
    nchunk = min(nbatch, batches_per_thread)
    line = 64 // f.itemsize
    for ch in prange(nchunk):
        fp = flush_subnormals()
        bre = np.empty((dim, per), dtype=ftype)
        bim = np.empty((dim, per), dtype=ftype)
        tre = np.empty((gmax, per), dtype=ftype)
        tim = np.empty((gmax, per), dtype=ftype)
        bases = np.empty(TILE, dtype=np.int64)
        ahead = np.empty(TILE, dtype=np.int64)
        for t in range(ch * nbatch // nchunk, (ch + 1) * nbatch // nchunk):
            g0 = t * per
            if run >= TILE:  # runs of 2**q >= TILE amplitudes, a multiple of LANES
                _runs_vector(True, f, bre, bim, ident, offs, qubits, g0, run, line)
            elif tiled and vector_tiles:
                _tiles_vector(True, f, bre, bim, ident, offs, high_q, nl, lowmask,
                              g0 >> (TILE_BITS - nl))
            elif tiled:
                _tiles_scalar(True, f, bre, bim, ident, offs, high_q, pos, nl,
                              g0 >> (TILE_BITS - nl))
            elif low:
                for c0 in range(0, per, TILE_COLS):
                    _gather_low(f, bre, bim, 2 * ((g0 + c0) << k), c0,
                                min(TILE_COLS, per - c0))
            else:  # short runs: TILE_COLS groups at a time, row by row
                for c0 in range(0, per, TILE_COLS):
                    width = min(TILE_COLS, per - c0)
                    for cc in range(width):
                        bases[cc] = 2 * _insert_zeros(g0 + c0 + cc, qubits)
                        ahead[cc] = 2 * _insert_zeros(min(g0 + c0 + cc + width, ngroups - 1),
                                                      qubits)
                    _gather_rows(f, bre, bim, bases, ahead, offs, c0, width)
            for op in range(kinds.size):
                _block_op(kinds[op], rows, row_start[op], row_count[op], pr, pi, par_start[op],
                          aux[op], bre, bim, tre, tim)
            if run >= TILE:
                _runs_vector(False, f, bre, bim, final_rows, offs, qubits, g0, run, line)
            elif tiled and vector_tiles:
                _tiles_vector(False, f, bre, bim, final_rows, offs, high_q, nl, lowmask,
                              g0 >> (TILE_BITS - nl))
            elif tiled:
                _tiles_scalar(False, f, bre, bim, final_rows, offs, high_q, pos, nl,
                              g0 >> (TILE_BITS - nl))
            elif low:
                for c0 in range(0, per, TILE_COLS):
                    _scatter_low(f, bre, bim, final_rows, 2 * ((g0 + c0) << k), c0,
                                 min(TILE_COLS, per - c0))
            else:
                for c0 in range(0, per, TILE_COLS):
                    width = min(TILE_COLS, per - c0)
                    for cc in range(width):
                        bases[cc] = 2 * _insert_zeros(g0 + c0 + cc, qubits)
                    _scatter_rows(f, bre, bim, final_rows, bases, offs, c0, width)
        restore_fp(fp)


@_jit(inline="always")
def _block_op(kind, rows, r0, nrows, pr, pi, p0, aux, bre, bim, tre, tim):
    per = bre.shape[1]
    if kind == 0:  # real 2x2 on row pairs
        m00, m01, m10, m11 = pr[p0], pr[p0 + 1], pr[p0 + 2], pr[p0 + 3]
        for i in range(r0, r0 + nrows, 2):
            _real_pair(bre[rows[i]], bre[rows[i + 1]], m00, m01, m10, m11)
            _real_pair(bim[rows[i]], bim[rows[i + 1]], m00, m01, m10, m11)
    elif kind == 1:  # complex 2x2 on row pairs
        ar, br_, cr, dr = pr[p0], pr[p0 + 1], pr[p0 + 2], pr[p0 + 3]
        ai, bi_, ci, di = pi[p0], pi[p0 + 1], pi[p0 + 2], pi[p0 + 3]
        for i in range(r0, r0 + nrows, 2):
            xr = bre[rows[i]]
            xi = bim[rows[i]]
            yr = bre[rows[i + 1]]
            yi = bim[rows[i + 1]]
            for c in range(per):
                x0 = xr[c]
                x1 = xi[c]
                y0 = yr[c]
                y1 = yi[c]
                xr[c] = ar * x0 - ai * x1 + br_ * y0 - bi_ * y1
                xi[c] = ar * x1 + ai * x0 + br_ * y1 + bi_ * y0
                yr[c] = cr * x0 - ci * x1 + dr * y0 - di * y1
                yi[c] = cr * x1 + ci * x0 + dr * y1 + di * y0
    elif kind == 2:  # phases on rows
        for i in range(nrows):
            xr = bre[rows[r0 + i]]
            xi = bim[rows[r0 + i]]
            p = pr[p0 + i]
            q = pi[p0 + i]
            for c in range(per):
                a = xr[c]
                b = xi[c]
                xr[c] = p * a - q * b
                xi[c] = p * b + q * a
    elif kind == 4 and per % LANES == 0:  # the same, vectorised in place
        if aux == 2:
            rotations_inplace(bre, bim, rows, r0, nrows, pr, pi, p0, 0, 2)
        else:
            rotations_inplace(bre, bim, rows, r0, nrows, pr, pi, p0, 0, 3)
    elif kind == 5:  # phases then real rotations on 1-3 qubits (`blocks.OP_PHASED_ROTATIONS`)
        q0 = p0 + 4 * aux
        if per % LANES != 0:
            _phased_rotations(rows, r0, nrows, pr, pi, p0, aux, bre, bim)
        elif aux == 1:
            phased_rotations_inplace(bre, bim, rows, r0, nrows, pr, pi, p0, q0, 1)
        elif aux == 2:
            phased_rotations_inplace(bre, bim, rows, r0, nrows, pr, pi, p0, q0, 2)
        else:
            phased_rotations_inplace(bre, bim, rows, r0, nrows, pr, pi, p0, q0, 3)
    elif kind == 4:  # real rotations on 2 or 3 qubits, one sweep over groups of rows
        if aux == 2:
            for s in range(r0, r0 + nrows, 4):
                _real_quad(bre[rows[s]], bre[rows[s + 1]], bre[rows[s + 2]], bre[rows[s + 3]],
                           pr, p0)
                _real_quad(bim[rows[s]], bim[rows[s + 1]], bim[rows[s + 2]], bim[rows[s + 3]],
                           pr, p0)
        else:
            for s in range(r0, r0 + nrows, 8):
                _real_oct(bre[rows[s]], bre[rows[s + 1]], bre[rows[s + 2]], bre[rows[s + 3]],
                          bre[rows[s + 4]], bre[rows[s + 5]], bre[rows[s + 6]],
                          bre[rows[s + 7]], pr, p0)
                _real_oct(bim[rows[s]], bim[rows[s + 1]], bim[rows[s + 2]], bim[rows[s + 3]],
                          bim[rows[s + 4]], bim[rows[s + 5]], bim[rows[s + 6]],
                          bim[rows[s + 7]], pr, p0)
    elif aux == 2 and per % LANES == 0:  # dense 4x4 on row groups, vectorised in place
        dense4_inplace(bre, bim, rows, r0, nrows, pr, pi, p0)
    elif aux == 2:  # dense 4x4 on row groups: one output row per call, in registers
        for s in range(r0, r0 + nrows, 4):
            x0r = bre[rows[s]]
            x1r = bre[rows[s + 1]]
            x2r = bre[rows[s + 2]]
            x3r = bre[rows[s + 3]]
            x0i = bim[rows[s]]
            x1i = bim[rows[s + 1]]
            x2i = bim[rows[s + 2]]
            x3i = bim[rows[s + 3]]
            for b in range(4):
                p = p0 + 4 * b
                _dense4_row(x0r, x1r, x2r, x3r, x0i, x1i, x2i, x3i, tre[b], tim[b],
                            pr[p], pr[p + 1], pr[p + 2], pr[p + 3],
                            pi[p], pi[p + 1], pi[p + 2], pi[p + 3])
            for b in range(4):
                _copy_run(bre[rows[s + b]], tre[b])
                _copy_run(bim[rows[s + b]], tim[b])
    else:  # dense 2**aux x 2**aux on row groups
        g = 1 << aux
        for s in range(r0, r0 + nrows, g):
            for a in range(g):
                sr = bre[rows[s + a]]
                si = bim[rows[s + a]]
                ur = tre[a]
                ui = tim[a]
                for c in range(per):
                    ur[c] = sr[c]
                    ui[c] = si[c]
            for b in range(g):
                xr = bre[rows[s + b]]
                xi = bim[rows[s + b]]
                for c in range(per):
                    xr[c] = 0
                    xi[c] = 0
                for a in range(g):
                    p = pr[p0 + b * g + a]
                    q = pi[p0 + b * g + a]
                    ur = tre[a]
                    ui = tim[a]
                    for c in range(per):
                        xr[c] += p * ur[c] - q * ui[c]
                        xi[c] += p * ui[c] + q * ur[c]


@_jit(inline="always")
def _phased_rotations(rows, r0, nrows, pr, pi, p0, nbits, bre, bim):
    """`OP_PHASED_ROTATIONS` on rows too short for the vector kernel: the phases, one row at
    a time, then the rotations on row bits 0 .. nbits - 1, one pair at a time."""
    q0 = p0 + 4 * nbits
    for i in range(nrows):
        xr = bre[rows[r0 + i]]
        xi = bim[rows[r0 + i]]
        p = pr[q0 + i]
        q = pi[q0 + i]
        for c in range(xr.size):
            a = xr[c]
            b = xi[c]
            xr[c] = p * a - q * b
            xi[c] = p * b + q * a
    g = 1 << nbits
    for s in range(r0, r0 + nrows, g):
        for j in range(nbits):
            m00, m01 = pr[p0 + 4 * j], pr[p0 + 4 * j + 1]
            m10, m11 = pr[p0 + 4 * j + 2], pr[p0 + 4 * j + 3]
            for a in range(g):
                if (a >> j) & 1:
                    continue
                _real_pair(bre[rows[s + a]], bre[rows[s + a + (1 << j)]], m00, m01, m10, m11)
                _real_pair(bim[rows[s + a]], bim[rows[s + a + (1 << j)]], m00, m01, m10, m11)


@_jit
def _dense4_row(x0r, x1r, x2r, x3r, x0i, x1i, x2i, x3i, yr, yi, m0r, m1r, m2r, m3r,
                m0i, m1i, m2i, m3i):
    """y <- sum_a m_a x_a over four complex rows (planar): one output row of a dense 4x4.

    A call, and one output row per call, on purpose: LLVM vectorises this loop (about 35
    GFLOP/s double, 67 single on one core of the machine in docs/sim-statevector.md), but
    not the loop that forms all four output rows in place (eight written rows: scalar code,
    13 GFLOP/s); the rows go back with `_copy_run`."""
    for c in range(x0r.size):
        a0r = x0r[c]
        a1r = x1r[c]
        a2r = x2r[c]
        a3r = x3r[c]
        a0i = x0i[c]
        a1i = x1i[c]
        a2i = x2i[c]
        a3i = x3i[c]
        yr[c] = (m0r * a0r - m0i * a0i + m1r * a1r - m1i * a1i
                 + m2r * a2r - m2i * a2i + m3r * a3r - m3i * a3i)
        yi[c] = (m0r * a0i + m0i * a0r + m1r * a1i + m1i * a1r
                 + m2r * a2i + m2i * a2r + m3r * a3i + m3i * a3r)


@_jit(inline="always")
def _real_pair(x, y, m00, m01, m10, m11):
    for c in range(x.size):
        a = x[c]
        b = y[c]
        x[c] = m00 * a + m01 * b
        y[c] = m10 * a + m11 * b


@_jit(inline="always")
def _real_quad(x0, x1, x2, x3, pr, p0):
    """Rotation pr[p0:p0+4] on row bit 0, then pr[p0+4:p0+8] on bit 1, in one sweep."""
    a00, a01, a10, a11 = pr[p0], pr[p0 + 1], pr[p0 + 2], pr[p0 + 3]
    b00, b01, b10, b11 = pr[p0 + 4], pr[p0 + 5], pr[p0 + 6], pr[p0 + 7]
    for c in range(x0.size):
        v0, v1, v2, v3 = x0[c], x1[c], x2[c], x3[c]
        w0 = a00 * v0 + a01 * v1
        w1 = a10 * v0 + a11 * v1
        w2 = a00 * v2 + a01 * v3
        w3 = a10 * v2 + a11 * v3
        x0[c] = b00 * w0 + b01 * w2
        x2[c] = b10 * w0 + b11 * w2
        x1[c] = b00 * w1 + b01 * w3
        x3[c] = b10 * w1 + b11 * w3


@_jit(inline="always")
def _real_oct(x0, x1, x2, x3, x4, x5, x6, x7, pr, p0):
    """Rotations pr[p0:p0+4], pr[p0+4:p0+8], pr[p0+8:p0+12] on row bits 0, 1, 2."""
    a00, a01, a10, a11 = pr[p0], pr[p0 + 1], pr[p0 + 2], pr[p0 + 3]
    b00, b01, b10, b11 = pr[p0 + 4], pr[p0 + 5], pr[p0 + 6], pr[p0 + 7]
    c00, c01, c10, c11 = pr[p0 + 8], pr[p0 + 9], pr[p0 + 10], pr[p0 + 11]
    for c in range(x0.size):
        v0, v1, v2, v3 = x0[c], x1[c], x2[c], x3[c]
        v4, v5, v6, v7 = x4[c], x5[c], x6[c], x7[c]
        w0 = a00 * v0 + a01 * v1
        w1 = a10 * v0 + a11 * v1
        w2 = a00 * v2 + a01 * v3
        w3 = a10 * v2 + a11 * v3
        w4 = a00 * v4 + a01 * v5
        w5 = a10 * v4 + a11 * v5
        w6 = a00 * v6 + a01 * v7
        w7 = a10 * v6 + a11 * v7
        v0 = b00 * w0 + b01 * w2
        v2 = b10 * w0 + b11 * w2
        v1 = b00 * w1 + b01 * w3
        v3 = b10 * w1 + b11 * w3
        v4 = b00 * w4 + b01 * w6
        v6 = b10 * w4 + b11 * w6
        v5 = b00 * w5 + b01 * w7
        v7 = b10 * w5 + b11 * w7
        x0[c] = c00 * v0 + c01 * v4
        x4[c] = c10 * v0 + c11 * v4
        x1[c] = c00 * v1 + c01 * v5
        x5[c] = c10 * v1 + c11 * v5
        x2[c] = c00 * v2 + c01 * v6
        x6[c] = c10 * v2 + c11 * v6
        x3[c] = c00 * v3 + c01 * v7
        x7[c] = c10 * v3 + c11 * v7


@_jit(inline="always")
def _tile_layout(qubits, nl):
    """For a block whose qubits[:nl] lie below TILE_BITS: (its other qubits less TILE_BITS,
    pos) where pos[l, m] is the offset, inside a tile of TILE amplitudes, of local state l
    of those nl qubits combined with the m-th setting of the tile's other bits.

    A tile (TILE contiguous amplitudes, one or two cache lines) then fills 2**nl rows of
    the buffer times 2**(TILE_BITS - nl) consecutive columns: the buffer's columns number
    (tile, m), any order serving since the micro-operations act on whole rows."""
    high_q = qubits[nl:] - TILE_BITS
    nm = TILE_BITS - nl
    pos = np.zeros((1 << nl, 1 << nm), dtype=np.int64)
    for l in range(1 << nl):
        for m in range(1 << nm):
            o = 0
            j = 0
            mm = m
            for b in range(TILE_BITS):
                if j < nl and qubits[j] == b:
                    o |= ((l >> j) & 1) << b
                    j += 1
                else:
                    o |= (mm & 1) << b
                    mm >>= 1
            pos[l, m] = o
    return high_q, pos


@_jit
def _runs_vector(to_rows, f, bre, bim, rowmap, offs, qubits, g0, run, line):
    """Fill the buffer (to_rows) from the groups g0, g0 + 1, ... whose amplitudes come in
    contiguous runs of `run` (a multiple of LANES), or write it back, row rowmap[a] as local
    state a: run by run through `_simd.deinterleave` / `interleave`, prefetching the runs of
    the row PREFETCH_ROWS ahead (the rows lie 2**q apart: too many streams for the hardware
    prefetcher; a call: see `_pair_run`)."""
    dim = bre.shape[0]
    for j in range(0, bre.shape[1], run):
        base = _insert_zeros(g0 + j, qubits)
        for a in range(dim):
            if a + PREFETCH_ROWS < dim:
                o = 2 * (base + offs[a + PREFETCH_ROWS])
                for x in range(o, o + 2 * run, line):
                    prefetch(f, x)
            if to_rows:
                deinterleave(f, 2 * (base + offs[a]), bre, bim, rowmap[a], j, run)
            else:
                interleave(f, 2 * (base + offs[a]), bre, bim, rowmap[a], j, run)


@_jit
def _tiles_vector(to_rows, f, bre, bim, rowmap, offs, high_q, nl, lowmask, t0):
    """`_tiles_scalar` with LANES columns of 2**nl rows at a time, through
    `_simd.tiles_to_rows` / `rows_to_tiles` (`lowmask`: the block's qubits among 0-3; rows
    of the buffer a multiple of LANES long)."""
    nm = 1 << (TILE_BITS - nl)
    nh = bre.shape[0] >> nl
    ntiles = bre.shape[1] // nm
    bases = _tile_bases(t0, ntiles, high_q)
    step = LANES // nm
    for h in range(nh):
        oh = 2 * offs[h << nl]
        r0 = h << nl
        for tt in range(0, ntiles, step):
            col = tt * nm
            if to_rows:
                _tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, lowmask)
            else:
                _rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, lowmask)


@_jit(inline="always")
def _tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, lowmask):
    """tiles_to_rows with `lowmask` as a compile-time constant (one branch per mask)."""
    if lowmask == 1:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 1)
    elif lowmask == 2:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 2)
    elif lowmask == 4:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 4)
    elif lowmask == 8:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 8)
    elif lowmask == 3:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 3)
    elif lowmask == 5:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 5)
    elif lowmask == 6:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 6)
    elif lowmask == 9:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 9)
    elif lowmask == 10:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 10)
    elif lowmask == 12:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 12)
    elif lowmask == 7:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 7)
    elif lowmask == 11:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 11)
    elif lowmask == 13:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 13)
    elif lowmask == 14:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 14)
    elif lowmask == 15:
        tiles_to_rows(f, bases, tt, oh, bre, bim, rowmap, r0, col, 15)


@_jit(inline="always")
def _rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, lowmask):
    """rows_to_tiles with `lowmask` as a compile-time constant (one branch per mask)."""
    if lowmask == 1:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 1)
    elif lowmask == 2:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 2)
    elif lowmask == 4:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 4)
    elif lowmask == 8:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 8)
    elif lowmask == 3:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 3)
    elif lowmask == 5:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 5)
    elif lowmask == 6:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 6)
    elif lowmask == 9:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 9)
    elif lowmask == 10:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 10)
    elif lowmask == 12:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 12)
    elif lowmask == 7:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 7)
    elif lowmask == 11:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 11)
    elif lowmask == 13:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 13)
    elif lowmask == 14:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 14)
    elif lowmask == 15:
        rows_to_tiles(f, bases, tt, oh, bre, bim, rowmap, r0, col, 15)


@_jit(inline="always")
def _tile_bases(t0, ntiles, high_q):
    """Float offsets of tiles t0 .. t0 + ntiles - 1 (numbered over the bits TILE_BITS and up
    that are not the block's: `high_q` are the block's, less TILE_BITS)."""
    bases = np.empty(ntiles, dtype=np.int64)
    for tt in range(ntiles):
        bases[tt] = 2 * (_insert_zeros(t0 + tt, high_q) << TILE_BITS)
    return bases


@_jit
def _tiles_scalar(to_rows, f, bre, bim, rowmap, offs, high_q, pos, nl, t0):
    """Fill the buffer from tiles t0, t0 + 1, ... (to_rows), or write it back, row rowmap[a]
    as local state a, amplitude by amplitude: for every setting h of the block's high qubits,
    the tiles in order, so each row streams through consecutive tiles (a call: see
    `_pair_run`). `_tiles_vector` does the same with shuffles when rows allow."""
    nm = pos.shape[1]
    nh = bre.shape[0] >> nl
    ntiles = bre.shape[1] // nm
    bases = _tile_bases(t0, ntiles, high_q)
    for h in range(nh):
        oh = 2 * offs[h << nl]
        for l in range(1 << nl):
            row = rowmap[l | (h << nl)]
            rr = bre[row]
            ri = bim[row]
            for tt in range(ntiles):
                at = bases[tt] + oh
                c = tt * nm
                for m in range(nm):
                    p = at + 2 * pos[l, m]
                    if to_rows:
                        rr[c + m] = f[p]
                        ri[c + m] = f[p + 1]
                    else:
                        f[p] = rr[c + m]
                        f[p + 1] = ri[c + m]


@_jit
def _gather_low(f, bre, bim, start, c0, width):
    """Transpose `width` consecutive groups of a block on qubits 0..k-1 (contiguous runs of
    2**k amplitudes from float `start`) into buffer columns c0... (a call: see `_pair_run`).

    Row by row: each buffer row takes `width` (TILE_COLS) amplitudes, 2**k apart in the
    state. Group by group instead (a column of the buffer at a time), the writes went to
    rows 2**k apart, which share one L1 set, and gather and scatter cost 6 passes over
    memory at 24 qubits (3 row by row, one thread, complex128)."""
    dim = bre.shape[0]
    stride = 2 * dim
    for a in range(dim):
        o = start + 2 * a
        rr = bre[a]
        ri = bim[a]
        for cc in range(width):
            rr[c0 + cc] = f[o + stride * cc]
            ri[c0 + cc] = f[o + stride * cc + 1]


@_jit
def _scatter_low(f, bre, bim, final_rows, start, c0, width):
    """The inverse of `_gather_low`, writing row final_rows[a] as local basis state a."""
    dim = bre.shape[0]
    stride = 2 * dim
    for a in range(dim):
        o = start + 2 * a
        rr = bre[final_rows[a]]
        ri = bim[final_rows[a]]
        for cc in range(width):
            f[o + stride * cc] = rr[c0 + cc]
            f[o + stride * cc + 1] = ri[c0 + cc]


@_jit
def _gather_rows(f, bre, bim, bases, ahead, offs, c0, width):
    """buf[a, c0 + cc] = amplitude a of the group at float `bases[cc]`, row by row (see
    `_gather_low`), prefetching amplitude a of the groups at `ahead` (the next tile): the
    rows lie 2**q apart for the block's high qubits q, too many streams for the hardware
    prefetcher (general gather at 24 qubits: 60 -> 45 ms, one thread, complex128)."""
    for a in range(bre.shape[0]):
        o = 2 * offs[a]
        for cc in range(width):
            prefetch(f, ahead[cc] + o)
        rr = bre[a]
        ri = bim[a]
        for cc in range(width):
            rr[c0 + cc] = f[bases[cc] + o]
            ri[c0 + cc] = f[bases[cc] + o + 1]


@_jit
def _scatter_rows(f, bre, bim, final_rows, bases, offs, c0, width):
    """The inverse of `_gather_rows`, writing row final_rows[a] as local basis state a."""
    for a in range(bre.shape[0]):
        o = 2 * offs[a]
        rr = bre[final_rows[a]]
        ri = bim[final_rows[a]]
        for cc in range(width):
            f[bases[cc] + o] = rr[c0 + cc]
            f[bases[cc] + o + 1] = ri[c0 + cc]


PERMUTE_RUN = 1024
"""Amplitudes per task of `permute_groups` (runs longer than this are split)."""


@_jit
def _copy_run(dst, src):
    """dst <- src (a call, not inlined: see `_pair_run`)."""
    for i in range(dst.size):
        dst[i] = src[i]


@_pjit
def permute_groups(f, qubits, cycle_start, cycle_states):
    """Relabel the local basis states of every group of `qubits`: new[a] = old[next(a)] along
    each cycle (cycle c is cycle_states[cycle_start[c]:cycle_start[c + 1]], in the order
    a, next(a), ...); states outside the cycles stay where they are and are not touched.

    `f` is the state's float view. Each run of contiguous amplitudes moves as a block, with one
    run of scratch per cycle, so a permutation block costs one read and one write of the
    amplitudes it moves instead of a gather and a scatter through a buffer.
    """
    offs = _offsets(qubits)
    k = qubits.size
    ngroups = (f.size >> 1) >> k
    run = min(1 << qubits[0], PERMUTE_RUN, ngroups)
    ncycles = cycle_start.size - 1
    for t in prange(ngroups // run):
        tmp = np.empty(2 * run, dtype=f.dtype)
        base = 2 * _insert_zeros(t * run, qubits)
        for c in range(ncycles):
            s0 = cycle_start[c]
            s1 = cycle_start[c + 1]
            o = base + 2 * offs[cycle_states[s0]]
            _copy_run(tmp, f[o:o + 2 * run])
            for i in range(s0, s1 - 1):
                o = base + 2 * offs[cycle_states[i]]
                p = base + 2 * offs[cycle_states[i + 1]]
                _copy_run(f[o:o + 2 * run], f[p:p + 2 * run])
            o = base + 2 * offs[cycle_states[s1 - 1]]
            _copy_run(f[o:o + 2 * run], tmp)


@_jit
def permutation_cycles(final_rows):
    """The cycles of new[a] = old[final_rows[a]] without its fixed points, as (starts, states)
    for `permute_groups`."""
    dim = final_rows.size
    seen = np.zeros(dim, dtype=np.bool_)
    starts = np.zeros(dim + 1, dtype=np.int64)
    states = np.empty(dim, dtype=np.int64)
    ncycles = 0
    n = 0
    for a in range(dim):
        if seen[a] or final_rows[a] == a:
            continue
        b = a
        while not seen[b]:
            seen[b] = True
            states[n] = b
            n += 1
            b = final_rows[b]
        ncycles += 1
        starts[ncycles] = n
    return starts[:ncycles + 1].copy(), states[:n].copy()
