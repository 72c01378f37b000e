"""Compiling hot loops with numba where it is installed, and choosing them at run time.

Every compiled loop in appsim has a numpy twin that gives identical results; the compiled one
runs when numba imports and the environment variable `APPSIM_KERNELS` is not `numpy` when
appsim is imported (tests and benchmarks switch `NUMPY_ONLY` instead, to compare them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def compile_all(*functions: Callable[..., Any]) -> tuple[Any, ...]:
    """The functions compiled (cached on disk next to the sources), or Nones without numba."""
    try:
        import numba
    except ImportError:  # numba is optional: the numpy twins give the same results
        return (None,) * len(functions)
    # with the JIT disabled they would run as Python, which the prefetch intrinsic cannot
    if getattr(numba.config, "DISABLE_JIT", False):
        return (None,) * len(functions)
    jit = numba.njit(cache=True, nogil=True)
    return tuple(jit(f) for f in functions)


AHEAD = 16  # how many agents ahead a loop over scattered ids prefetches their entries

# read once: a run asks about 10**5 times, and an os.environ lookup costs microseconds
NUMPY_ONLY = os.environ.get("APPSIM_KERNELS", "") == "numpy"


def use_compiled(kernel: object) -> bool:
    """Whether to run `kernel` (a compiled function or None) rather than its numpy twin."""
    return kernel is not None and not NUMPY_ONLY


def _intrinsics() -> tuple[Any, Any]:
    """`prefetch(array, index)`: ask the CPU to start loading array[index] into cache;
    `trailing_zeros(word)`: the index of the lowest set bit of a nonzero uint64 (one
    instruction).

    The activity step reads per-customer arrays (the suite's last-active days, the month's
    app masks) at the day's active ids, scattered: one cache miss each at 1:10. Issuing the
    load a few actives ahead overlaps those misses (1.5x on the suite's loop, as fast as
    visiting the ids in ascending order, which would cost a sort). Its selection turns 64
    members' hits into one bit mask and reads the active positions off it bit by bit.
    Without numba they are plain Python, never called from a compiled loop."""
    try:
        from llvmlite import ir
        from numba import types
        from numba.extending import intrinsic
    except ImportError:
        return (lambda array, index: None), (lambda word: (int(word) & -int(word)).bit_length() - 1)

    @intrinsic
    def prefetch(typingctx, array, index):
        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            byte_ptr = ir.IntType(8).as_pointer()
            i32 = ir.IntType(32)
            function = builder.module.declare_intrinsic(
                "llvm.prefetch", [byte_ptr], ir.FunctionType(ir.VoidType(), [byte_ptr] + [i32] * 3)
            )
            address = builder.bitcast(builder.gep(data, [args[1]]), byte_ptr)
            # read, keep in all cache levels, data cache
            builder.call(function, [address, i32(0), i32(3), i32(1)])
            return context.get_dummy_value()

        return types.void(array, index), codegen

    @intrinsic
    def trailing_zeros(typingctx, word):
        def codegen(context, builder, signature, args):
            # the word is never zero here: let LLVM emit a bare tzcnt
            return builder.cttz(args[0], ir.IntType(1)(1))

        return types.uint64(types.uint64), codegen

    return prefetch, trailing_zeros


prefetch, trailing_zeros = _intrinsics()
