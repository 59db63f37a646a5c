"""Explicitly vectorised inner loops, written as LLVM vector IR from numba intrinsics.

numba's auto-vectoriser reaches about 40 % of the machine's multiply-add rate on the dense
4x4 product of the cache blocks (`_kernels._block_op`), the cost of Quantum Volume: it
cannot prove that the rows it writes do not overlap the rows it reads, so it forms one
output row per call and copies the rows back, and it keeps to 256-bit vectors on CPUs
that have 512-bit ones. The loop here loads one vector from each of the eight input rows
(four complex rows, planar), forms all four outputs in registers and stores them in place:
one read and one write per element, no copies, no overlap checks.

The vectors are `LANES` floats (512 bits in single precision, 512 in double with 8
lanes); LLVM splits them into the widest registers the CPU has (two AVX2 registers, four
SSE or NEON ones), so the result is the same on every machine and the speed follows the
hardware. numba does not set `min-legal-vector-width` on its functions, so LLVM keeps
512-bit registers where the CPU has them.
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

LANES = 16
"""Floats per vector (rows of `dense4_inplace` must be a multiple of this)."""


def _fma_decl(builder, vec):
    name = f"llvm.fma.v{vec.count}f{'32' if vec.element == ir.FloatType() else '64'}"
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(vec, [vec] * 3), name)


def _splat(builder, scalar, vec):
    undef = ir.Constant(vec, ir.Undefined)
    one = builder.insert_element(undef, scalar, ir.Constant(ir.IntType(32), 0))
    mask = ir.Constant(ir.VectorType(ir.IntType(32), vec.count), [0] * vec.count)
    return builder.shuffle_vector(one, undef, mask)


@intrinsic
def dense4_inplace(typingctx, bre, bim, rows, s, pr, pi, p0):
    """Rows rows[s..s+3] of the planar buffer (bre, bim) <- the 4x4 complex matrix
    (pr + i pi)[p0 + 4 b + a] (output b, input a) times those rows, column by column.

    bre, bim: C-contiguous 2-D float arrays (rows, columns), the column count a multiple of
    `LANES`; rows: int64 array; pr, pi: 1-D float arrays of the buffer's float type.
    """
    if not (isinstance(bre, types.Array) and bre.ndim == 2 and bre.layout == "C"
            and bim == bre and isinstance(pr, types.Array) and pr.ndim == 1
            and pr.dtype == bre.dtype and pi == pr and isinstance(rows, types.Array)
            and isinstance(rows.dtype, types.Integer) and isinstance(s, types.Integer)
            and isinstance(p0, types.Integer)):
        return None
    sig = types.void(bre, bim, rows, s, pr, pi, p0)

    def codegen(context, builder, signature, args):
        bre_v, bim_v, rows_v, s_v, pr_v, pi_v, p0_v = args
        aty, rty, pty = signature.args[0], signature.args[2], signature.args[4]
        fty = context.get_value_type(aty.dtype)
        vec = ir.VectorType(fty, LANES)
        vptr = vec.as_pointer()
        intp = context.get_value_type(types.intp)
        fma = _fma_decl(builder, vec)

        re = context.make_array(aty)(context, builder, bre_v)
        im = context.make_array(aty)(context, builder, bim_v)
        ncols = cgutils.unpack_tuple(builder, re.shape, 2)[1]
        rws = context.make_array(rty)(context, builder, rows_v)
        s_i = context.cast(builder, s_v, signature.args[3], types.intp)
        p0_i = context.cast(builder, p0_v, signature.args[6], types.intp)

        def row_ptrs(base):
            out = []
            for a in range(4):
                idx = builder.add(s_i, ir.Constant(intp, a))
                r = builder.load(cgutils.gep(builder, rws.data, idx))
                r = context.cast(builder, r, rty.dtype, types.intp)
                out.append(cgutils.gep(builder, base, builder.mul(r, ncols)))
            return out

        xr_p, xi_p = row_ptrs(re.data), row_ptrs(im.data)
        mr = context.make_array(pty)(context, builder, pr_v)
        mi = context.make_array(pty)(context, builder, pi_v)

        def coeff(arr, k, negate=False):
            idx = builder.add(p0_i, ir.Constant(intp, k))
            v = builder.load(cgutils.gep(builder, arr.data, idx))
            if negate:
                v = builder.fneg(v)
            return _splat(builder, v, vec)

        m_r = [coeff(mr, k) for k in range(16)]
        m_i = [coeff(mi, k) for k in range(16)]
        m_ni = [coeff(mi, k, negate=True) for k in range(16)]

        step = ir.Constant(intp, LANES)
        with cgutils.for_range_slice(builder, ir.Constant(intp, 0), ncols, step) as (c, _):
            ptrs_r = [builder.bitcast(cgutils.gep(builder, p, c), vptr) for p in xr_p]
            ptrs_i = [builder.bitcast(cgutils.gep(builder, p, c), vptr) for p in xi_p]
            xr = [builder.load(p, align=4) for p in ptrs_r]
            xi = [builder.load(p, align=4) for p in ptrs_i]
            outs = []
            for b in range(4):
                k0 = 4 * b
                # Two chains per output part, added at the end: half the latency of one.
                yr0 = builder.fmul(m_r[k0], xr[0])
                yr0 = builder.call(fma, [m_ni[k0], xi[0], yr0])
                yr0 = builder.call(fma, [m_r[k0 + 1], xr[1], yr0])
                yr0 = builder.call(fma, [m_ni[k0 + 1], xi[1], yr0])
                yr1 = builder.fmul(m_r[k0 + 2], xr[2])
                yr1 = builder.call(fma, [m_ni[k0 + 2], xi[2], yr1])
                yr1 = builder.call(fma, [m_r[k0 + 3], xr[3], yr1])
                yr1 = builder.call(fma, [m_ni[k0 + 3], xi[3], yr1])
                yi0 = builder.fmul(m_r[k0], xi[0])
                yi0 = builder.call(fma, [m_i[k0], xr[0], yi0])
                yi0 = builder.call(fma, [m_r[k0 + 1], xi[1], yi0])
                yi0 = builder.call(fma, [m_i[k0 + 1], xr[1], yi0])
                yi1 = builder.fmul(m_r[k0 + 2], xi[2])
                yi1 = builder.call(fma, [m_i[k0 + 2], xr[2], yi1])
                yi1 = builder.call(fma, [m_r[k0 + 3], xi[3], yi1])
                yi1 = builder.call(fma, [m_i[k0 + 3], xr[3], yi1])
                outs.append((builder.fadd(yr0, yr1), builder.fadd(yi0, yi1)))
            for b in range(4):
                builder.store(outs[b][0], ptrs_r[b], align=4)
                builder.store(outs[b][1], ptrs_i[b], align=4)
        return context.get_dummy_value()

    return sig, codegen


def _row_ptr(context, builder, aty, arr_v, row, col, rowty, colty):
    """Pointer to element (row, col) of a C-contiguous 2-D array value."""
    arr = context.make_array(aty)(context, builder, arr_v)
    ncols = cgutils.unpack_tuple(builder, arr.shape, 2)[1]
    r = context.cast(builder, row, rowty, types.intp)
    c = context.cast(builder, col, colty, types.intp)
    return cgutils.gep(builder, arr.data, builder.add(builder.mul(r, ncols), c))


def _complex_copy(interleave: bool):
    """An intrinsic copying `count` complex numbers (a multiple of LANES) between the
    interleaved floats f[fo:] and the planar rows bre[row, col:], bim[row, col:]: one load
    of 2 x LANES floats and two shuffles (even and odd lanes) per LANES numbers."""

    def typer(typingctx, f, fo, bre, bim, row, col, count):
        if not (isinstance(f, types.Array) and f.ndim == 1 and isinstance(bre, types.Array)
                and bre.ndim == 2 and bre.layout == "C" and bim == bre
                and bre.dtype == f.dtype and all(isinstance(t, types.Integer)
                                                 for t in (fo, row, col, count))):
            return None
        sig = types.void(f, fo, bre, bim, row, col, count)

        def codegen(context, builder, signature, args):
            f_v, fo_v, re_v, im_v, row_v, col_v, n_v = args
            fty_, foty, aty, _, rowty, colty, nty = signature.args
            fty = context.get_value_type(fty_.dtype)
            intp = context.get_value_type(types.intp)
            half = ir.VectorType(fty, LANES)
            full = ir.VectorType(fty, 2 * LANES)
            i32 = ir.IntType(32)
            fa = context.make_array(fty_)(context, builder, f_v)
            base = cgutils.gep(builder, fa.data, context.cast(builder, fo_v, foty, types.intp))
            pre = _row_ptr(context, builder, aty, re_v, row_v, col_v, rowty, colty)
            pim = _row_ptr(context, builder, aty, im_v, row_v, col_v, rowty, colty)
            count = context.cast(builder, n_v, nty, types.intp)
            even = ir.Constant(ir.VectorType(i32, LANES), list(range(0, 2 * LANES, 2)))
            odd = ir.Constant(ir.VectorType(i32, LANES), list(range(1, 2 * LANES, 2)))
            weave = ir.Constant(ir.VectorType(i32, 2 * LANES),
                                [j // 2 + (LANES if j % 2 else 0) for j in range(2 * LANES)])
            step = ir.Constant(intp, LANES)
            with cgutils.for_range_slice(builder, ir.Constant(intp, 0), count, step) as (c, _):
                pf = builder.bitcast(cgutils.gep(builder, base, builder.add(c, c)),
                                     full.as_pointer())
                pr_ = builder.bitcast(cgutils.gep(builder, pre, c), half.as_pointer())
                pi_ = builder.bitcast(cgutils.gep(builder, pim, c), half.as_pointer())
                if interleave:
                    both = builder.shuffle_vector(builder.load(pr_, align=4),
                                                  builder.load(pi_, align=4), weave)
                    builder.store(both, pf, align=4)
                else:
                    both = builder.load(pf, align=4)
                    builder.store(builder.shuffle_vector(both, both, even), pr_, align=4)
                    builder.store(builder.shuffle_vector(both, both, odd), pi_, align=4)
            return context.get_dummy_value()

        return sig, codegen

    return intrinsic(typer)


deinterleave = _complex_copy(interleave=False)
"""deinterleave(f, fo, bre, bim, row, col, count): planar rows <- interleaved floats."""
interleave = _complex_copy(interleave=True)
"""interleave(f, fo, bre, bim, row, col, count): interleaved floats <- planar rows."""


TILE_BITS = 4
"""A tile is 2**TILE_BITS contiguous amplitudes (2 x 16 floats)."""


def tile_positions(lowmask: int) -> list[list[int]]:
    """pos[l][m]: the amplitude, inside a tile, of state l of the tile bits set in `lowmask`
    (bit j of l on the j-th of them, ascending) and state m of the other tile bits."""
    low = [b for b in range(TILE_BITS) if lowmask >> b & 1]
    rest = [b for b in range(TILE_BITS) if not lowmask >> b & 1]
    return [[sum(((l >> j) & 1) << b for j, b in enumerate(low))
             + sum(((m >> j) & 1) << b for j, b in enumerate(rest))
             for m in range(1 << len(rest))] for l in range(1 << len(low))]


def _concat(builder, vectors):
    """One vector holding `vectors` (equal lengths, a power of two of them) end to end."""
    i32 = ir.IntType(32)
    while len(vectors) > 1:
        n = vectors[0].type.count
        mask = ir.Constant(ir.VectorType(i32, 2 * n), list(range(2 * n)))
        pairs = zip(vectors[0::2], vectors[1::2], strict=True)
        vectors = [builder.shuffle_vector(a, b, mask) for a, b in pairs]
    return vectors[0]


def _tile_copy(to_rows: bool):
    """An intrinsic moving LANES buffer columns of 2**nl rows to or from the 2**nl tiles
    they come from (nl: the block's qubits below TILE_BITS, the bits of the literal
    `lowmask`): tile v is f[bases[t + v] + oh:][:2 * TILE], row l is
    (bre, bim)[rowmap[r0 + l], col:col + LANES]. Loads, one permutation of the whole
    2**nl x 32 floats in registers (LLVM picks the shuffles), stores."""

    def typer(typingctx, f, bases, t, oh, bre, bim, rowmap, r0, col, lowmask):
        if not (isinstance(lowmask, types.IntegerLiteral) and isinstance(f, types.Array)
                and f.ndim == 1 and isinstance(bre, types.Array) and bre.ndim == 2
                and bre.layout == "C" and bim == bre and bre.dtype == f.dtype):
            return None
        pos = tile_positions(lowmask.literal_value)
        nrow = len(pos)
        nm = len(pos[0])
        ntile = LANES // nm
        width = 2 << TILE_BITS  # floats per tile
        if to_rows:  # big = tiles end to end; row l's real part takes column v * nm + m
            masks = [([v * width + 2 * pos[l][m] for v in range(ntile) for m in range(nm)],
                      [v * width + 2 * pos[l][m] + 1 for v in range(ntile) for m in range(nm)])
                     for l in range(nrow)]
        else:  # big = (re_l, im_l) end to end; tile v's float 2 p + part
            where = {pos[l][m]: (l, m) for l in range(nrow) for m in range(nm)}
            masks = [[where[j >> 1][0] * 2 * LANES + (j & 1) * LANES + v * nm + where[j >> 1][1]
                      for j in range(width)] for v in range(ntile)]
        sig = types.void(f, bases, t, oh, bre, bim, rowmap, r0, col, lowmask)

        def codegen(context, builder, signature, args):
            f_v, b_v, t_v, oh_v, re_v, im_v, rm_v, r0_v, col_v, _ = args
            fty_, bty, tty, ohty, aty, _, rmty, r0ty, colty, _ = signature.args
            fty = context.get_value_type(fty_.dtype)
            i32 = ir.IntType(32)
            intp = context.get_value_type(types.intp)
            fa = context.make_array(fty_)(context, builder, f_v)
            ba = context.make_array(bty)(context, builder, b_v)
            rm = context.make_array(rmty)(context, builder, rm_v)
            t_i = context.cast(builder, t_v, tty, types.intp)
            oh_i = context.cast(builder, oh_v, ohty, types.intp)
            r0_i = context.cast(builder, r0_v, r0ty, types.intp)
            tile_ty = ir.VectorType(fty, width)
            row_ty = ir.VectorType(fty, LANES)
            tile_ptrs = []
            for v in range(ntile):
                b = builder.load(cgutils.gep(builder, ba.data,
                                             builder.add(t_i, ir.Constant(intp, v))))
                at = builder.add(context.cast(builder, b, bty.dtype, types.intp), oh_i)
                tile_ptrs.append(builder.bitcast(cgutils.gep(builder, fa.data, at),
                                                 tile_ty.as_pointer()))
            row_ptrs = []
            for l in range(nrow):
                r = builder.load(cgutils.gep(builder, rm.data,
                                             builder.add(r0_i, ir.Constant(intp, l))))
                row_ptrs.append(tuple(
                    builder.bitcast(_row_ptr(context, builder, aty, a, r, col_v, rmty.dtype,
                                             colty), row_ty.as_pointer())
                    for a in (re_v, im_v)))
            if to_rows:
                big = _concat(builder, [builder.load(p, align=4) for p in tile_ptrs])
                for (pr_, pi_), (mre, mim) in zip(row_ptrs, masks, strict=True):
                    for ptr, mask in ((pr_, mre), (pi_, mim)):
                        m = ir.Constant(ir.VectorType(i32, LANES), mask)
                        builder.store(builder.shuffle_vector(big, big, m), ptr, align=4)
            else:
                parts = []
                for pr_, pi_ in row_ptrs:
                    parts += [builder.load(pr_, align=4), builder.load(pi_, align=4)]
                big = _concat(builder, parts)
                for ptr, mask in zip(tile_ptrs, masks, strict=True):
                    m = ir.Constant(ir.VectorType(i32, width), mask)
                    builder.store(builder.shuffle_vector(big, big, m), ptr, align=4)
            return context.get_dummy_value()

        return sig, codegen

    return intrinsic(typer)


tiles_to_rows = _tile_copy(to_rows=True)
"""tiles_to_rows(f, bases, t, oh, bre, bim, rowmap, r0, col, lowmask): gather."""
rows_to_tiles = _tile_copy(to_rows=False)
"""rows_to_tiles(f, bases, t, oh, bre, bim, rowmap, r0, col, lowmask): scatter."""


@intrinsic
def rotations_inplace(typingctx, bre, bim, rows, s, pr, p0, nbits):
    """Rows rows[s..s + 2**nbits - 1] of both planes (bre, bim) <- real 2x2 rotations
    pr[p0 + 4 j: p0 + 4 j + 4] (m00, m01, m10, m11) on row bit j, for j = 0 .. nbits - 1
    in order (nbits a literal 2 or 3): one load and one store per element for all of
    them. The columns count is a multiple of `LANES`."""
    if not (isinstance(nbits, types.IntegerLiteral) and isinstance(bre, types.Array)
            and bre.ndim == 2 and bre.layout == "C" and bim == bre
            and isinstance(pr, types.Array) and pr.dtype == bre.dtype):
        return None
    nb = nbits.literal_value
    sig = types.void(bre, bim, rows, s, pr, p0, nbits)

    def codegen(context, builder, signature, args):
        re_v, im_v, rows_v, s_v, pr_v, p0_v, _ = args
        aty, _, rty, sty, pty, p0ty, _ = signature.args
        fty = context.get_value_type(aty.dtype)
        vec = ir.VectorType(fty, LANES)
        intp = context.get_value_type(types.intp)
        fma = _fma_decl(builder, vec)
        rws = context.make_array(rty)(context, builder, rows_v)
        s_i = context.cast(builder, s_v, sty, types.intp)
        p0_i = context.cast(builder, p0_v, p0ty, types.intp)
        par = context.make_array(pty)(context, builder, pr_v)
        coeffs = []
        for k in range(4 * nb):
            v = builder.load(cgutils.gep(builder, par.data,
                                         builder.add(p0_i, ir.Constant(intp, k))))
            coeffs.append(_splat(builder, v, vec))
        planes = []
        for arr_v in (re_v, im_v):
            arr = context.make_array(aty)(context, builder, arr_v)
            ncols = cgutils.unpack_tuple(builder, arr.shape, 2)[1]
            ptrs = []
            for a in range(1 << nb):
                r = builder.load(cgutils.gep(builder, rws.data,
                                             builder.add(s_i, ir.Constant(intp, a))))
                r = context.cast(builder, r, rty.dtype, types.intp)
                ptrs.append(cgutils.gep(builder, arr.data, builder.mul(r, ncols)))
            planes.append(ptrs)
        step = ir.Constant(intp, LANES)
        with cgutils.for_range_slice(builder, ir.Constant(intp, 0), ncols, step) as (c, _):
            for ptrs in planes:
                vptrs = [builder.bitcast(cgutils.gep(builder, p, c), vec.as_pointer())
                         for p in ptrs]
                x = [builder.load(p, align=4) for p in vptrs]
                for j in range(nb):
                    m00, m01, m10, m11 = coeffs[4 * j:4 * j + 4]
                    for i in range(1 << nb):
                        if i >> j & 1:
                            continue
                        v0, v1 = x[i], x[i | 1 << j]
                        x[i] = builder.call(fma, [m01, v1, builder.fmul(m00, v0)])
                        x[i | 1 << j] = builder.call(fma, [m11, v1, builder.fmul(m10, v0)])
                for p, v in zip(vptrs, x, strict=True):
                    builder.store(v, p, align=4)
        return context.get_dummy_value()

    return sig, codegen
