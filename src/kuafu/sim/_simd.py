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
