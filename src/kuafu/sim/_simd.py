"""Explicitly vectorised inner loops of the cache blocks (`_kernels.apply_block`), written as
LLVM vector IR from numba intrinsics.

numba's auto-vectoriser kept to 256-bit vectors on CPUs that have 512-bit ones, and could not
prove that rows written in place do not overlap the rows read: the dense 4x4 product of
Quantum Volume formed one output row per call and copied the rows back, at about 40 % of the
multiply-add rate. Here:

* arithmetic (`dense4_inplace`, `rotations_inplace`, `phased_rotations_inplace`) runs on
  512-bit vectors (16 floats, 8 doubles): a group's rows are loaded, combined in registers and
  stored in place, one read and one write per element;
* data movement (`deinterleave`, `interleave`, `tiles_to_rows`, `rows_to_tiles`) moves
  `LANES`-float vectors between the interleaved state and the planar buffer with shuffles.

LLVM splits the vectors into the widest registers the CPU has (two AVX2 registers, four SSE
or NEON ones), so results are the same on every machine and the speed follows the hardware;
numba sets no `min-legal-vector-width`, so LLVM keeps 512-bit registers where there are some.

numba caches the kernels that inline these by the text of `_kernels.py` alone: after an edit
here, update `_kernels.CODEGEN_SOURCES` (a test prints the hashes).
"""

from __future__ import annotations

from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

LANES = 16
"""Floats per vector of the data movers, and the multiple every row length must be."""


def _lanes(fty) -> int:
    """Lanes of the arithmetic vectors: 512 bits (16 floats, 8 doubles). Wider ones in
    double precision (16 doubles, two registers each) ran the phased rotations on 8 rows
    out of registers: no faster than the auto-vectorised loop."""
    return 16 if fty == ir.FloatType() else 8


def _fma_decl(builder, vec):
    name = f"llvm.fma.v{vec.count}f{'32' if vec.element == ir.FloatType() else '64'}"
    return cgutils.get_or_insert_function(builder.module, ir.FunctionType(vec, [vec] * 3), name)


def _splat(builder, scalar, vec):
    undef = ir.Constant(vec, ir.Undefined)
    one = builder.insert_element(undef, scalar, ir.Constant(ir.IntType(32), 0))
    mask = ir.Constant(ir.VectorType(ir.IntType(32), vec.count), [0] * vec.count)
    return builder.shuffle_vector(one, undef, mask)


@intrinsic
def dense4_inplace(typingctx, bre, bim, rows, r0, nrows, pr, pi, p0):
    """For each group of four rows rows[s..s+3], s = r0, r0 + 4, ... r0 + nrows - 4, those
    rows of the planar buffer (bre, bim) <- the 4x4 complex matrix (pr + i pi)[p0 + 4 b + a]
    (output b, input a) times them, column by column.

    bre, bim: C-contiguous 2-D float arrays (rows, columns), the column count a multiple of
    `LANES`; rows: int64 array; pr, pi: 1-D float arrays of the buffer's float type. All the
    groups in one call: the 32 coefficients are broadcast once, not once per group (a third
    of the time on rows of 64 floats).
    """
    if not (isinstance(bre, types.Array) and bre.ndim == 2 and bre.layout == "C"
            and bim == bre and isinstance(pr, types.Array) and pr.ndim == 1
            and pr.dtype == bre.dtype and pi == pr and isinstance(rows, types.Array)
            and isinstance(rows.dtype, types.Integer) and isinstance(r0, types.Integer)
            and isinstance(nrows, types.Integer) and isinstance(p0, types.Integer)):
        return None
    sig = types.void(bre, bim, rows, r0, nrows, pr, pi, p0)

    def codegen(context, builder, signature, args):
        bre_v, bim_v, rows_v, r0_v, n_v, pr_v, pi_v, p0_v = args
        aty, rty, pty = signature.args[0], signature.args[2], signature.args[5]
        fty = context.get_value_type(aty.dtype)
        vec = ir.VectorType(fty, _lanes(fty))
        vptr = vec.as_pointer()
        intp = context.get_value_type(types.intp)
        fma = _fma_decl(builder, vec)

        re = context.make_array(aty)(context, builder, bre_v)
        im = context.make_array(aty)(context, builder, bim_v)
        ncols = cgutils.unpack_tuple(builder, re.shape, 2)[1]
        rws = context.make_array(rty)(context, builder, rows_v)
        r0_i = context.cast(builder, r0_v, signature.args[3], types.intp)
        end = builder.add(r0_i, context.cast(builder, n_v, signature.args[4], types.intp))
        p0_i = context.cast(builder, p0_v, signature.args[7], types.intp)
        mr = context.make_array(pty)(context, builder, pr_v)
        mi = context.make_array(pty)(context, builder, pi_v)

        def coeff(arr, k):
            idx = builder.add(p0_i, ir.Constant(intp, k))
            return _splat(builder, builder.load(cgutils.gep(builder, arr.data, idx)), vec)

        m_r = [coeff(mr, k) for k in range(16)]
        m_i = [coeff(mi, k) for k in range(16)]
        m_ni = [builder.fneg(v) for v in m_i]

        four = ir.Constant(intp, 4)
        with cgutils.for_range_slice(builder, r0_i, end, four) as (s_i, _):
            def row_ptrs(base):
                out = []
                for a in range(4):
                    idx = builder.add(s_i, ir.Constant(intp, a))
                    r = builder.load(cgutils.gep(builder, rws.data, idx))
                    r = context.cast(builder, r, rty.dtype, types.intp)
                    out.append(cgutils.gep(builder, base, builder.mul(r, ncols)))
                return out

            xr_p, xi_p = row_ptrs(re.data), row_ptrs(im.data)
            step = ir.Constant(intp, vec.count)
            with cgutils.for_range_slice(builder, ir.Constant(intp, 0), ncols, step) as (c, _):
                ptrs_r = [builder.bitcast(cgutils.gep(builder, p, c), vptr) for p in xr_p]
                ptrs_i = [builder.bitcast(cgutils.gep(builder, p, c), vptr) for p in xi_p]
                xr = [builder.load(p, align=4) for p in ptrs_r]
                xi = [builder.load(p, align=4) for p in ptrs_i]
                outs = []
                for b in range(4):
                    k0 = 4 * b
                    yr = builder.fmul(m_r[k0], xr[0])
                    yi = builder.fmul(m_r[k0], xi[0])
                    for a in range(4):
                        if a:
                            yr = builder.call(fma, [m_r[k0 + a], xr[a], yr])
                            yi = builder.call(fma, [m_r[k0 + a], xi[a], yi])
                        yr = builder.call(fma, [m_ni[k0 + a], xi[a], yr])
                        yi = builder.call(fma, [m_i[k0 + a], xr[a], yi])
                    outs.append((yr, yi))
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


def _bits_of(value: int, where: list[int]) -> dict[int, int]:
    """{id bit: its value} for a position whose bits b hold element-id bit where[b]."""
    return {w: (value >> b) & 1 for b, w in enumerate(where)}


def _position(values: dict[int, int], where: list[int]) -> int:
    return sum(values[w] << b for b, w in enumerate(where))


def _permute_registers(builder, regs, cur: list[int], tgt: list[int]):
    """Registers of 16 lanes whose position bits (lane bits 0-3, then register-index bits)
    hold element-id bits `cur`, rearranged so they hold `tgt` (both bit permutations).

    Each lane bit that must leave the lanes is exchanged with a register bit that must enter
    them: one two-input shuffle per register and stage (the butterfly of a matrix
    transpose); a last one-input shuffle per register orders the lanes."""
    i32 = ir.IntType(32)
    nlane = 4
    cur = list(cur)
    lane_ids = set(tgt[:nlane])
    regs = list(regs)
    for lb in range(nlane):
        if cur[lb] in lane_ids:
            continue
        rb = next(b for b in range(nlane, len(cur)) if cur[b] in lane_ids)
        bit, lane = 1 << (rb - nlane), 1 << lb
        lo = [j if not j & lane else 16 + (j ^ lane) for j in range(16)]
        hi = [j ^ lane if not j & lane else 16 + j for j in range(16)]
        out = list(regs)
        for r in range(len(regs)):
            if r & bit:
                continue
            a, b = regs[r], regs[r | bit]
            out[r] = builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(i32, 16), lo))
            out[r | bit] = builder.shuffle_vector(a, b, ir.Constant(ir.VectorType(i32, 16), hi))
        regs = out
        cur[lb], cur[rb] = cur[rb], cur[lb]
    result = []
    for target in range(len(regs)):
        values = _bits_of(target << nlane, tgt)
        source = regs[_position(values, cur) >> nlane]
        mask = []
        for j in range(16):
            values.update(_bits_of(j, tgt[:nlane]))
            mask.append(_position(values, cur) & 15)
        if mask != list(range(16)):
            source = builder.shuffle_vector(source, source,
                                            ir.Constant(ir.VectorType(i32, 16), mask))
        result.append(source)
    return result


def _tile_copy(to_rows: bool):
    """An intrinsic moving LANES buffer columns of 2**nl rows to or from the 2**nl tiles
    they come from (nl: the block's qubits below TILE_BITS, the bits of the literal
    `lowmask`): tile v is f[bases[t + v] + oh:][:2 * TILE], row l is
    (bre, bim)[rowmap[r0 + l], col:col + LANES]. Loads, a butterfly of shuffles in
    registers (`_permute_registers`), stores.

    The floats of the 2**nl tiles are numbered by (part, position in the tile, tile): in
    memory, lanes and registers follow that order; in the rows, the registers are (part, l)
    (l: the tile bits in `lowmask`) and the lanes (m, tile) (m: the other tile bits)."""

    def typer(typingctx, f, bases, t, oh, bre, bim, rowmap, r0, col, lowmask):
        if not (isinstance(lowmask, types.IntegerLiteral) and isinstance(f, types.Array)
                and f.ndim == 1 and isinstance(bre, types.Array) and bre.ndim == 2
                and bre.layout == "C" and bim == bre and bre.dtype == f.dtype):
            return None
        mask_bits = lowmask.literal_value
        low = [b for b in range(TILE_BITS) if mask_bits >> b & 1]
        rest = [b for b in range(TILE_BITS) if not mask_bits >> b & 1]
        nl = len(low)
        ntile = 1 << nl
        # element-id bits: 0 part, 1..4 position in the tile, 5.. tile
        tiles_map = [0, 1, 2, 3, 4] + [5 + i for i in range(nl)]
        rows_map = ([1 + b for b in rest] + [5 + i for i in range(nl)]
                    + [0] + [1 + b for b in low])
        width = 2 << TILE_BITS  # floats per tile
        sig = types.void(f, bases, t, oh, bre, bim, rowmap, r0, col, lowmask)

        def codegen(context, builder, signature, args):
            f_v, b_v, t_v, oh_v, re_v, im_v, rm_v, r0_v, col_v, _ = args
            fty_, bty, tty, ohty, aty, _, rmty, r0ty, colty, _ = signature.args
            fty = context.get_value_type(fty_.dtype)
            intp = context.get_value_type(types.intp)
            fa = context.make_array(fty_)(context, builder, f_v)
            ba = context.make_array(bty)(context, builder, b_v)
            rm = context.make_array(rmty)(context, builder, rm_v)
            t_i = context.cast(builder, t_v, tty, types.intp)
            oh_i = context.cast(builder, oh_v, ohty, types.intp)
            r0_i = context.cast(builder, r0_v, r0ty, types.intp)
            vec = ir.VectorType(fty, LANES)
            tile_ptrs = []  # two registers per tile
            for v in range(ntile):
                b = builder.load(cgutils.gep(builder, ba.data,
                                             builder.add(t_i, ir.Constant(intp, v))))
                at = builder.add(context.cast(builder, b, bty.dtype, types.intp), oh_i)
                for half in range(width // LANES):
                    p = cgutils.gep(builder, fa.data,
                                    builder.add(at, ir.Constant(intp, half * LANES)))
                    tile_ptrs.append(builder.bitcast(p, vec.as_pointer()))
            row_ptrs = []  # (re, im) per row
            for l in range(ntile):
                r = builder.load(cgutils.gep(builder, rm.data,
                                             builder.add(r0_i, ir.Constant(intp, l))))
                for a in (re_v, im_v):
                    p = _row_ptr(context, builder, aty, a, r, col_v, rmty.dtype, colty)
                    row_ptrs.append(builder.bitcast(p, vec.as_pointer()))
            src, dst = (tile_ptrs, row_ptrs) if to_rows else (row_ptrs, tile_ptrs)
            cur, tgt = (tiles_map, rows_map) if to_rows else (rows_map, tiles_map)
            regs = [builder.load(p, align=4) for p in src]
            for p, v in zip(dst, _permute_registers(builder, regs, cur, tgt), strict=True):
                builder.store(v, p, align=4)
            return context.get_dummy_value()

        return sig, codegen

    return intrinsic(typer)


tiles_to_rows = _tile_copy(to_rows=True)
"""tiles_to_rows(f, bases, t, oh, bre, bim, rowmap, r0, col, lowmask): gather."""
rows_to_tiles = _tile_copy(to_rows=False)
"""rows_to_tiles(f, bases, t, oh, bre, bim, rowmap, r0, col, lowmask): scatter."""


def _rotations(phased: bool):
    """An intrinsic: for each group of rows rows[s..s + 2**nbits - 1], s = r0, r0 + 2**nbits,
    ... below r0 + nrows, those rows of both planes (bre, bim) <- real 2x2 rotations
    pr[p0 + 4 j: p0 + 4 j + 4] (m00, m01, m10, m11) on row bit j, for j = 0 .. nbits - 1 in
    order (nbits a literal 1, 2 or 3), after (when `phased`) multiplying row rows[s + a] by
    the phase pr[q0 + s - r0 + a] + i pi[...]: one load and one store per element for all
    of them, the rotations broadcast once per call. The column count is a multiple of
    `LANES`."""

    def typer(typingctx, bre, bim, rows, r0, nrows, pr, pi, p0, q0, nbits):
        if not (isinstance(nbits, types.IntegerLiteral) and isinstance(bre, types.Array)
                and bre.ndim == 2 and bre.layout == "C" and bim == bre
                and isinstance(pr, types.Array) and pr.dtype == bre.dtype and pi == pr):
            return None
        nb = nbits.literal_value
        sig = types.void(bre, bim, rows, r0, nrows, pr, pi, p0, q0, nbits)

        def codegen(context, builder, signature, args):
            re_v, im_v, rows_v, r0_v, n_v, pr_v, pi_v, p0_v, q0_v, _ = args
            aty, _, rty, r0ty, nty, pty, _, p0ty, q0ty, _ = signature.args
            fty = context.get_value_type(aty.dtype)
            vec = ir.VectorType(fty, _lanes(fty))
            intp = context.get_value_type(types.intp)
            fma = _fma_decl(builder, vec)
            rws = context.make_array(rty)(context, builder, rows_v)
            r0_i = context.cast(builder, r0_v, r0ty, types.intp)
            end = builder.add(r0_i, context.cast(builder, n_v, nty, types.intp))
            p0_i = context.cast(builder, p0_v, p0ty, types.intp)
            q0_i = context.cast(builder, q0_v, q0ty, types.intp)
            par_r = context.make_array(pty)(context, builder, pr_v)
            par_i = context.make_array(pty)(context, builder, pi_v)
            arrays = [context.make_array(aty)(context, builder, v) for v in (re_v, im_v)]
            ncols = cgutils.unpack_tuple(builder, arrays[0].shape, 2)[1]

            def splat(arr, base, k):
                v = builder.load(cgutils.gep(builder, arr.data,
                                             builder.add(base, ir.Constant(intp, k))))
                return _splat(builder, v, vec)

            coeffs = [splat(par_r, p0_i, k) for k in range(4 * nb)]
            group = ir.Constant(intp, 1 << nb)
            with cgutils.for_range_slice(builder, r0_i, end, group) as (s_i, _):
                if phased:
                    q_i = builder.add(q0_i, builder.sub(s_i, r0_i))
                    ph_r = [splat(par_r, q_i, a) for a in range(1 << nb)]
                    ph_i = [splat(par_i, q_i, a) for a in range(1 << nb)]
                planes = []
                for arr in arrays:
                    ptrs = []
                    for a in range(1 << nb):
                        r = builder.load(cgutils.gep(builder, rws.data,
                                                     builder.add(s_i, ir.Constant(intp, a))))
                        r = context.cast(builder, r, rty.dtype, types.intp)
                        ptrs.append(cgutils.gep(builder, arr.data, builder.mul(r, ncols)))
                    planes.append(ptrs)
                step = ir.Constant(intp, vec.count)
                zero = ir.Constant(intp, 0)
                with cgutils.for_range_slice(builder, zero, ncols, step) as (c, _):
                    vptrs = [[builder.bitcast(cgutils.gep(builder, p, c), vec.as_pointer())
                              for p in ptrs] for ptrs in planes]
                    xs = [[builder.load(p, align=4) for p in plane] for plane in vptrs]
                    if phased:
                        for a in range(1 << nb):
                            xr, xi = xs[0][a], xs[1][a]
                            xs[0][a] = builder.call(fma, [builder.fneg(ph_i[a]), xi,
                                                          builder.fmul(ph_r[a], xr)])
                            xs[1][a] = builder.call(fma, [ph_i[a], xr,
                                                          builder.fmul(ph_r[a], xi)])
                    for x in xs:
                        for j in range(nb):
                            m00, m01, m10, m11 = coeffs[4 * j:4 * j + 4]
                            for i in range(1 << nb):
                                if i >> j & 1:
                                    continue
                                v0, v1 = x[i], x[i | 1 << j]
                                x[i] = builder.call(fma, [m01, v1, builder.fmul(m00, v0)])
                                x[i | 1 << j] = builder.call(fma, [m11, v1,
                                                                   builder.fmul(m10, v0)])
                    for ptrs, x in zip(vptrs, xs, strict=True):
                        for p, v in zip(ptrs, x, strict=True):
                            builder.store(v, p, align=4)
            return context.get_dummy_value()

        return sig, codegen

    return intrinsic(typer)


rotations_inplace = _rotations(phased=False)
"""rotations_inplace(bre, bim, rows, r0, nrows, pr, pi, p0, q0, nbits): real rotations (q0
unused)."""
phased_rotations_inplace = _rotations(phased=True)
"""phased_rotations_inplace(bre, bim, rows, r0, nrows, pr, pi, p0, q0, nbits): phases, then
rotations."""


@intrinsic
def fma_rounds(typingctx, x, rounds, m, c):
    """x[...] <- 8 * rounds chained multiply-adds (v * m + c) on 16 independent vectors of
    x's float type, held in registers: the machine's peak multiply-add rate in the vectors
    these kernels use, for `benchmarks/bench_sim.py`'s roofline. x: 1-D, C-contiguous,
    16 x (16 floats or 8 doubles) long."""
    if not (isinstance(x, types.Array) and x.ndim == 1 and isinstance(rounds, types.Integer)
            and m == x.dtype and c == x.dtype):
        return None
    sig = types.void(x, rounds, m, c)

    def codegen(context, builder, signature, args):
        x_v, n_v, m_v, c_v = args
        aty, nty = signature.args[0], signature.args[1]
        fty = context.get_value_type(aty.dtype)
        vec = ir.VectorType(fty, _lanes(fty))
        fma = _fma_decl(builder, vec)
        arr = context.make_array(aty)(context, builder, x_v)
        mv, cv = _splat(builder, m_v, vec), _splat(builder, c_v, vec)
        ptrs = [builder.bitcast(cgutils.gep(builder, arr.data, k * vec.count), vec.as_pointer())
                for k in range(16)]
        slots = [cgutils.alloca_once(builder, vec) for _ in range(16)]
        for p, slot in zip(ptrs, slots, strict=True):
            builder.store(builder.load(p, align=4), slot)
        count = context.cast(builder, n_v, nty, types.intp)
        with cgutils.for_range(builder, count):
            for slot in slots:
                v = builder.load(slot)
                for _ in range(8):
                    v = builder.call(fma, [v, mv, cv])
                builder.store(v, slot)
        for p, slot in zip(ptrs, slots, strict=True):
            builder.store(builder.load(slot), p, align=4)
        return context.get_dummy_value()

    return sig, codegen
