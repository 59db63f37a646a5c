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
from collections.abc import Callable
from typing import Any

import numba

__all__ = ["exact_jit", "jit", "njit", "pjit"]


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
