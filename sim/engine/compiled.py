"""Compiling hot loops with numba where it is installed, and choosing them at run time.

Every compiled loop in appsim has a numpy twin that gives identical results; the compiled one
runs when numba imports and the environment variable `APPSIM_KERNELS` is not `numpy` when
appsim is imported (tests and benchmarks switch `NUMPY_ONLY` instead, to compare them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

# every compiled function, by its source's module and name: a test checks that each one is
# exercised by a comparison with its numpy twin (tests/engine/test_twins.py)
COMPILED: dict[str, Any] = {}


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
    compiled = tuple(jit(f) for f in functions)
    for f, kernel in zip(functions, compiled, strict=True):
        COMPILED[f"{f.__module__}.{f.__name__.lstrip('_')}"] = kernel
    return compiled


AHEAD = 16  # how many agents ahead a loop over scattered ids prefetches their entries

# read once: a run asks about 10**5 times, and an os.environ lookup costs microseconds
NUMPY_ONLY = os.environ.get("APPSIM_KERNELS", "") == "numpy"


def use_compiled(kernel: object) -> bool:
    """Whether to run `kernel` (a compiled function or None) rather than its numpy twin."""
    return kernel is not None and not NUMPY_ONLY


def _intrinsics() -> tuple[Any, Any, Any]:
    """`prefetch(array, index)`: ask the CPU to start loading array[index] into cache;
    `trailing_zeros(word)`: the index of the lowest set bit of a nonzero uint64 (one
    instruction); `below_mask(a, b, start)`: a uint64 whose bit j says a[start + j] <
    b[start + j], for j < 64, of two contiguous unsigned arrays: 16-bit draws against 16-bit
    thresholds, or against 32-bit limits in units of 1/65536 (the draws then scaled by 65536).

    The activity step reads per-customer arrays (the suite's last-active days, the month's
    app masks) at the day's active ids, scattered: one cache miss each at 1:10. Issuing the
    load a few actives ahead overlaps those misses (1.5x on the suite's loop, as fast as
    visiting the ids in ascending order, which would cost a sort). Its selection compares
    64 members at once into one bit mask (two vector compares here: 1.7-2x faster than a
    loop shifting each outcome into the mask) and reads the active positions off it bit by
    bit. Without numba they are plain Python, never called from a compiled loop."""
    try:
        from llvmlite import ir
        from numba import types
        from numba.extending import intrinsic
    except ImportError:
        return _python_prefetch, _python_trailing_zeros, _python_below_mask

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

    def lanes(context, builder, array_type, array, start):
        """The 64 elements array[start:start + 64] as one vector."""
        data = context.make_array(array_type)(context, builder, array).data
        vector = ir.VectorType(context.get_value_type(array_type.dtype), 64)
        address = builder.bitcast(builder.gep(data, [start]), vector.as_pointer())
        return builder.load(address, align=array_type.dtype.bitwidth // 8)

    @intrinsic
    def below_mask(typingctx, a, b, start):
        widths = (a.dtype.bitwidth, b.dtype.bitwidth)
        if a.layout != "C" or b.layout != "C" or widths not in ((16, 16), (16, 32)):
            return None  # not a case it is written for: a typing error, not a wrong mask

        def codegen(context, builder, signature, args):
            va = lanes(context, builder, signature.args[0], args[0], args[2])
            vb = lanes(context, builder, signature.args[1], args[1], args[2])
            if widths == (16, 32):
                by_65536 = ir.Constant(vb.type, [ir.Constant(vb.type.element, 16)] * 64)
                va = builder.shl(builder.zext(va, vb.type), by_65536)
            return builder.bitcast(builder.icmp_unsigned("<", va, vb), ir.IntType(64))

        return types.uint64(a, b, start), codegen

    return prefetch, trailing_zeros, below_mask


def _python_prefetch(array: Any, index: int) -> None:
    return None


def _python_trailing_zeros(word: int) -> int:
    return (int(word) & -int(word)).bit_length() - 1


def _python_below_mask(a: Any, b: Any, start: int) -> int:
    shift = 16 if b.dtype.itemsize > a.dtype.itemsize else 0
    below = [int(a[start + j]) << shift < int(b[start + j]) for j in range(64)]
    return sum(1 << j for j, hit in enumerate(below) if hit)


prefetch, trailing_zeros, below_mask = _intrinsics()


def _generator_intrinsic() -> Any:
    """`generator_at(pointers)`: inside a compiled loop, the numpy Generator whose bit
    generator's addresses are `pointers` (a uint64 array, `sim.model.streams.Stream`), as
    numba's own Generator value: its draws (`rng.binomial`, `rng.geometric`, `rng.random`)
    are numpy's numbers from the same state, which they advance in place. numba builds that
    value from a Generator argument in about 17 us a call (attribute lookups and ctypes
    casts); built here from the addresses it costs nothing. It holds no reference: the
    Stream must outlive the call, as the caller's does. Without numba: None."""
    try:
        from llvmlite import ir
        from numba import types
        from numba.core import cgutils
        from numba.extending import intrinsic
    except ImportError:
        return None
    generator = types.NumPyRandomGeneratorType("generator_at")
    bit_generator = types.NumPyRandomBitGeneratorType("bit_generator")
    # the members of numba's bit generator model (numba/np/random/generator_core.py), in
    # the order of the Stream's pointers; its `parent` and the Generator's `meminfo` and
    # `parent` stay null (no Python object to box back, nothing to release)
    fields = ("state_address", "state", "fnptr_next_uint64", "fnptr_next_uint32",
              "fnptr_next_double", "bit_generator")  # fmt: skip

    @intrinsic
    def generator_at(typingctx, pointers):
        if not (isinstance(pointers, types.Array) and pointers.dtype == types.uint64):
            return None

        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            bits = cgutils.create_struct_proxy(bit_generator)(context, builder)
            for i, name in enumerate(fields):
                setattr(bits, name, builder.load(builder.gep(data, [ir.IntType(64)(i)])))
            made = cgutils.create_struct_proxy(generator)(context, builder)
            made.bit_generator = bits._getvalue()
            return made._getvalue()

        return generator(pointers), codegen

    return generator_at


generator_at = _generator_intrinsic()
