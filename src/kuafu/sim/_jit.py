"""The simulators' one way to compile a kernel with numba, so that every kernel of
`kuafu.sim` is compiled alike: cached on disk (`cache=True`: a new process loads it
instead of compiling), releasing the GIL (`nogil=True`: kernels run in threads), with
`fastmath` unless a kernel needs IEEE semantics. Nothing compiles at import: a kernel
compiles on its first call.

    from ._jit import jit

    @jit
    def _kernel(state, ...): ...
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Callable
from typing import Any

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["exact_jit", "flush_subnormals", "jit", "njit", "pjit", "prefetch", "restore_fp"]


def njit(*, fastmath: bool = True, parallel: bool = False) -> Callable[..., Any]:
    """`numba.njit` with the package's options; `parallel` for kernels with `prange`."""
    return functools.partial(numba.njit, cache=True, nogil=True, fastmath=fastmath,
                             parallel=parallel)


jit = njit()
"""The usual kernel: fastmath, serial."""
pjit = njit(parallel=True)
"""A kernel whose loops run on numba's threads (`prange`)."""
exact_jit = njit(fastmath=False)
"""A kernel that needs IEEE semantics (no reassociation): the MPS kernels."""


# ------------------------------------------------------------------ subnormal numbers

_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686", "x86")
_FTZ_DAZ = 0x8040  # MXCSR bits: flush results to zero (15), read subnormal inputs as zero (6)


def _mxcsr_call(builder, name: str, ptr) -> None:
    fnty = ir.FunctionType(ir.VoidType(), [ir.IntType(8).as_pointer()])
    fn = cgutils.get_or_insert_function(builder.module, fnty, name)
    builder.call(fn, [builder.bitcast(ptr, ir.IntType(8).as_pointer())])


@intrinsic
def flush_subnormals(typingctx):
    """Set this thread's MXCSR to flush subnormal floats to zero; returns the old MXCSR for
    `restore_fp` (0 and no effect off x86).

    Rounding residues of cancelling amplitudes (an amplitude that should be exactly 0) shrink
    gate after gate and, in single precision, become subnormal within a few gates; every
    operation on a subnormal then takes a microcode assist (~100 cycles). A kernel calls
    this at the start of each parallel task and `restore_fp` at its end, so code outside the
    kernels keeps IEEE behaviour.
    """
    def codegen(context, builder, signature, args):
        i32 = ir.IntType(32)
        if not _X86:
            return ir.Constant(i32, 0)
        ptr = cgutils.alloca_once(builder, i32)
        _mxcsr_call(builder, "llvm.x86.sse.stmxcsr", ptr)
        old = builder.load(ptr)
        builder.store(builder.or_(old, ir.Constant(i32, _FTZ_DAZ)), ptr)
        _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", ptr)
        return old

    return types.uint32(), codegen


@intrinsic
def restore_fp(typingctx, old):
    """Put back the MXCSR `flush_subnormals` returned."""
    def codegen(context, builder, signature, args):
        if _X86:
            ptr = cgutils.alloca_once(builder, ir.IntType(32))
            builder.store(args[0], ptr)
            _mxcsr_call(builder, "llvm.x86.sse.ldmxcsr", ptr)
        return context.get_dummy_value()

    return types.none(old), codegen


@intrinsic
def prefetch(typingctx, arr, idx):
    """Ask the CPU to bring `arr[idx]`'s cache line into L1 (a hint: no effect on results;
    `llvm.prefetch`, for reading, high locality)."""
    def codegen(context, builder, signature, args):
        aryty = signature.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]],
                                       wraparound=False)
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(fn, [builder.bitcast(ptr, i8p), ir.Constant(i32, 0), ir.Constant(i32, 3),
                          ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.none(arr, idx), codegen
