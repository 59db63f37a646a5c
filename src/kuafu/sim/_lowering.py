"""Compiled block lowering: `fusion.compile_block`'s row tracking as one numba call.

The lowering follows which buffer row holds each local basis state and the phase pending on
it, over arrays of 2**k entries, a few passes per gate. In Python with numpy that cost about
25 us a gate (15 ms of planning for a 20-qubit random circuit, a third of its run); here the
whole block is one call. The logic is `fusion._Lowering`'s, which stays as the readable
reference and is tested against this one.

Micro-operations arrive encoded as arrays (`fusion._encode_block`): a code per operation
(`M_PHASE`, `M_CPHASE`, `M_PERM`, `M_ROT`, `M_DENSE`), its local qubits (controls first,
target last for `M_CPHASE` and `M_ROT`), complex data (diagonal, the two phases, the
permutation's phases, the 2x2 or the dense matrix row-major) and, for `M_PERM`, the
permutation. An `M_DENSE` matrix smaller than its qubits acts on the last of them, the
others being controls (the density-matrix engine's channels act on some row groups only).
"""

from __future__ import annotations

import numpy as np

from ._jit import jit as _jit

M_PHASE, M_CPHASE, M_PERM, M_ROT, M_DENSE = 0, 1, 2, 3, 4
OP_PAIR_REAL, OP_PAIR_COMPLEX, OP_PHASE, OP_GROUP, OP_ROTATIONS = 0, 1, 2, 3, 4
_SAME_PHASE = 1e-13
_MAX_ROTATIONS = 3


@_jit(inline="always")
def _differ(a, b):
    """|a - b| > _SAME_PHASE, without the square root."""
    d = a - b
    return d.real * d.real + d.imag * d.imag > _SAME_PHASE * _SAME_PHASE


@_jit(inline="always")
def _group_offsets(q):
    """(offset of each local index over the qubits `q`, their mask)."""
    offs = np.zeros(1 << q.size, np.int64)
    mask = 0
    for j in range(q.size):
        mask |= 1 << q[j]
    for a in range(offs.size):
        for j in range(q.size):
            if a >> j & 1:
                offs[a] |= 1 << q[j]
    return offs, mask


@_jit
def _grow(a, need):
    if need <= a.size:
        return a
    out = np.empty(max(need, 2 * a.size), a.dtype)
    out[:a.size] = a
    return out


@_jit
def lower(k, order, codes, qstart, qs, dstart, data, pstart, perms):
    """Lower encoded micro-ops on a block of `k` qubits, taking them in `order`.

    Returns:
        (kinds, row_start, row_count, rows, par_start, params (complex), aux, final_rows),
        the arrays of a `fusion.BlockProgram`.
    """
    dim = 1 << k
    where = np.arange(dim)
    phase = np.ones(dim, np.complex128)
    nops_cap = 2 * codes.size + 4
    kinds = np.empty(nops_cap, np.int64)
    rstart = np.empty(nops_cap, np.int64)
    rcount = np.empty(nops_cap, np.int64)
    pst = np.empty(nops_cap, np.int64)
    aux = np.empty(nops_cap, np.int64)
    rows = np.empty(8 * dim, np.int64)
    params = np.empty(8 * dim, np.complex128)
    st = np.zeros(4, np.int64)  # emitted ops, rows used, params used
    pend_t = np.empty(_MAX_ROTATIONS, np.int64)
    pend_u = np.empty((_MAX_ROTATIONS, 4), np.float64)
    npend = 0
    scratch = np.empty(dim, np.int64)
    flush = np.empty(dim, np.int64)
    spare_where = np.empty(dim, np.int64)
    spare_phase = np.empty(dim, np.complex128)
    for i in order:
        code = codes[i]
        q = qs[qstart[i]:qstart[i + 1]]
        d = data[dstart[i]:dstart[i + 1]]
        joins = False
        if code == M_ROT and q.size == 1:
            joins = True
            for c in range(4):
                if d[c].imag != 0:
                    joins = False
            for j in range(npend):
                if pend_t[j] == q[0]:
                    joins = False
        if not joins and npend:
            kinds, rstart, rcount, pst, aux, rows, params = _emit_rotations(
                k, where, pend_t, pend_u, npend, kinds, rstart, rcount, pst, aux, rows,
                params, st)
            npend = 0
        if code == M_PHASE:
            offs, qmask = _group_offsets(q)
            for base in range(dim):
                if base & qmask == 0:
                    for li in range(offs.size):
                        phase[base + offs[li]] *= d[li]
        elif code == M_CPHASE:
            cmask = 0
            for j in range(q.size - 1):
                cmask |= 1 << q[j]
            tbit = 1 << q[q.size - 1]
            v0, v1 = d[0], d[1]
            for base in range(0, dim, 2 * tbit):
                if v0 != 1:
                    for a in range(base, base + tbit):
                        if a & cmask == cmask:
                            phase[a] *= v0
                if v1 != 1:
                    for a in range(base + tbit, base + 2 * tbit):
                        if a & cmask == cmask:
                            phase[a] *= v1
        elif code == M_PERM:
            p = perms[pstart[i]:pstart[i + 1]]
            new_where, new_phase = spare_where, spare_phase
            offs, qmask = _group_offsets(q)
            for base in range(dim):
                if base & qmask == 0:
                    for li in range(offs.size):
                        a = base + offs[li]
                        dest = base + offs[p[li]]
                        new_where[dest] = where[a]
                        new_phase[dest] = phase[a] * d[li]
            spare_where, spare_phase = where, phase
            where, phase = new_where, new_phase
        elif code == M_ROT:
            cmask = 0
            for j in range(q.size - 1):
                cmask |= 1 << q[j]
            tbit = 1 << q[q.size - 1]
            nx = 0
            nd = 0
            for base in range(0, dim, 2 * tbit):
                for a in range(base, base + tbit):
                    if a & cmask == cmask:
                        scratch[nx] = a
                        nx += 1
                        if _differ(phase[a], phase[a | tbit]):
                            flush[nd] = a
                            nd += 1
            xs = scratch[:nx]
            if nd:
                for j in range(nd):
                    flush[nd + j] = flush[j] | tbit
                kinds, rstart, rcount, pst, aux, rows, params = _flush(
                    where, phase, flush[:2 * nd], kinds, rstart, rcount, pst, aux, rows,
                    params, st)
            if joins:
                pend_t[npend] = q[0]
                for c in range(4):
                    pend_u[npend, c] = d[c].real
                npend += 1
                if npend == _MAX_ROTATIONS:
                    kinds, rstart, rcount, pst, aux, rows, params = _emit_rotations(
                        k, where, pend_t, pend_u, npend, kinds, rstart, rcount, pst, aux,
                        rows, params, st)
                    npend = 0
                continue
            real = True
            for c in range(4):
                if d[c].imag != 0:
                    real = False
            pr = np.empty(2 * nx, np.int64)
            for j in range(nx):
                pr[2 * j] = where[xs[j]]
                pr[2 * j + 1] = where[xs[j] | tbit]
            kinds, rstart, rcount, pst, aux, rows, params = _emit(
                OP_PAIR_REAL if real else OP_PAIR_COMPLEX, pr, d, 0, kinds, rstart, rcount,
                pst, aux, rows, params, st)
        else:
            kinds, rstart, rcount, pst, aux, rows, params, phase = _dense(
                k, q, d, where, phase, kinds, rstart, rcount, pst, aux, rows, params, st)
    if npend:
        kinds, rstart, rcount, pst, aux, rows, params = _emit_rotations(
            k, where, pend_t, pend_u, npend, kinds, rstart, rcount, pst, aux, rows, params,
            st)
    kinds, rstart, rcount, pst, aux, rows, params = _flush(
        where, phase, np.arange(dim), kinds, rstart, rcount, pst, aux, rows, params, st)
    n = st[0]
    return (kinds[:n].copy(), rstart[:n].copy(), rcount[:n].copy(), rows[:st[1]].copy(),
            pst[:n].copy(), params[:st[2]].copy(), aux[:n].copy(), where)


@_jit
def _emit(kind, r, p, ax, kinds, rstart, rcount, pst, aux, rows, params, st):
    n = st[0]
    if n == kinds.size:
        kinds = _grow(kinds, n + 1)
        rstart = _grow(rstart, n + 1)
        rcount = _grow(rcount, n + 1)
        pst = _grow(pst, n + 1)
        aux = _grow(aux, n + 1)
    rows = _grow(rows, st[1] + r.size)
    params = _grow(params, st[2] + p.size)
    kinds[n] = kind
    rstart[n] = st[1]
    rcount[n] = r.size
    pst[n] = st[2]
    aux[n] = ax
    rows[st[1]:st[1] + r.size] = r
    params[st[2]:st[2] + p.size] = p
    st[0] = n + 1
    st[1] += r.size
    st[2] += p.size
    return kinds, rstart, rcount, pst, aux, rows, params


@_jit
def _flush(where, phase, states, kinds, rstart, rcount, pst, aux, rows, params, st):
    r = np.empty(states.size, np.int64)
    p = np.empty(states.size, np.complex128)
    n = 0
    for s in states:
        if phase[s].real != 1 or phase[s].imag != 0:
            r[n] = where[s]
            p[n] = phase[s]
            phase[s] = 1
            n += 1
    if n:
        return _emit(OP_PHASE, r[:n], p[:n], 0, kinds, rstart, rcount, pst, aux, rows, params,
                     st)
    return kinds, rstart, rcount, pst, aux, rows, params


@_jit
def _grouped_states(k, qubits):
    """Every state of `k` bits, group by group: the 2**len(qubits) states that differ only
    on `qubits` are consecutive, bit j of the position in the group being qubits[j]."""
    g = 1 << qubits.size
    mask = 0
    for j in range(qubits.size):
        mask |= 1 << qubits[j]
    offs = np.zeros(g, np.int64)
    for a in range(g):
        for j in range(qubits.size):
            if a >> j & 1:
                offs[a] |= 1 << qubits[j]
    out = np.empty(1 << k, np.int64)
    n = 0
    for b in range(1 << k):
        if b & mask == 0:
            for a in range(g):
                out[n] = b + offs[a]
                n += 1
    return out


@_jit
def _emit_rotations(k, where, pend_t, pend_u, npend, kinds, rstart, rcount, pst, aux, rows,
                    params, st):
    groups = _grouped_states(k, pend_t[:npend])
    r = np.empty(groups.size, np.int64)
    for j in range(groups.size):
        r[j] = where[groups[j]]
    p = np.empty(4 * npend, np.complex128)
    for j in range(npend):
        for c in range(4):
            p[4 * j + c] = pend_u[j, c]
    return _emit(OP_PAIR_REAL if npend == 1 else OP_ROTATIONS, r, p, 0 if npend == 1 else npend,
                 kinds, rstart, rcount, pst, aux, rows, params, st)


@_jit
def _dense(k, q, d, where, phase, kinds, rstart, rcount, pst, aux, rows, params, st):
    """A dense matrix on row groups. `d` holds a 2**t x 2**t matrix on the last t qubits of
    `q`; the qubits before them (if any) are controls: only groups with all of them set."""
    dim = 1 << k
    nt = 0
    while (1 << (2 * nt)) < d.size:
        nt += 1
    cmask = 0
    for j in range(q.size - nt):
        cmask |= 1 << q[j]
    g = 1 << nt
    groups = _grouped_states(k, q[q.size - nt:])
    if cmask:
        keep = 0
        for s in range(0, dim, g):
            if groups[s] & cmask == cmask:
                for a in range(g):
                    groups[keep + a] = groups[s + a]
                keep += g
        groups = groups[:keep]
    odd = np.empty(dim, np.int64)
    m = 0
    for s in range(0, groups.size, g):
        uniform = True
        for a in range(1, g):
            if _differ(phase[groups[s + a]], phase[groups[s]]):
                uniform = False
        if not uniform:
            for a in range(g):
                odd[m] = groups[s + a]
                m += 1
    kinds, rstart, rcount, pst, aux, rows, params = _flush(
        where, phase, odd[:m], kinds, rstart, rcount, pst, aux, rows, params, st)
    r = np.empty(groups.size, np.int64)
    for j in range(groups.size):
        r[j] = where[groups[j]]
    kinds, rstart, rcount, pst, aux, rows, params = _emit(
        OP_GROUP, r, d, nt, kinds, rstart, rcount, pst, aux, rows, params, st)
    return kinds, rstart, rcount, pst, aux, rows, params, phase


@_jit
def schedule(k, codes, qstart, qs):
    """`fusion._schedule` on encoded micro-ops: the order in which to lower them (every
    ready phase, controlled phase or permutation first, then every ready rotation)."""
    nops = codes.size
    count = np.zeros(k + 1, np.int64)
    for i in range(nops):
        for j in range(qstart[i], qstart[i + 1]):
            count[qs[j] + 1] += 1
    qbeg = np.cumsum(count)
    queue = np.empty(qs.size, np.int64)
    fill = qbeg[:k].copy()
    for i in range(nops):
        for j in range(qstart[i], qstart[i + 1]):
            queue[fill[qs[j]]] = i
            fill[qs[j]] += 1
    head = qbeg[:k].copy()
    order = np.empty(nops, np.int64)
    front = np.empty(k, np.int64)
    ready = np.empty(k, np.int64)
    done = 0
    while done < nops:
        nf = 0
        for q in range(k):
            if head[q] < qbeg[q + 1]:
                i = queue[head[q]]
                seen = False
                for f in range(nf):
                    if front[f] == i:
                        seen = True
                if not seen:
                    front[nf] = i
                    nf += 1
        front[:nf].sort()
        nr = 0
        nphase = 0
        for f in range(nf):
            i = front[f]
            ok = True
            for j in range(qstart[i], qstart[i + 1]):
                if queue[head[qs[j]]] != i:
                    ok = False
            if ok:
                ready[nr] = i
                nr += 1
                if codes[i] <= M_PERM:
                    nphase += 1
        for r in range(nr):
            i = ready[r]
            if nphase and codes[i] > M_PERM:
                continue
            order[done] = i
            done += 1
            for j in range(qstart[i], qstart[i + 1]):
                head[qs[j]] += 1
    return order
