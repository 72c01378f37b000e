"""Compiling hot loops with numba where it is installed, and choosing them at run time.

Every compiled loop in appsim has a numpy twin that gives identical results; the compiled one
runs when numba imports and `APPSIM_KERNELS` is not `numpy` (tests set it to compare them).
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
    jit = numba.njit(cache=True, nogil=True)
    return tuple(jit(f) for f in functions)


def use_compiled(kernel: object) -> bool:
    """Whether to run `kernel` (a compiled function or None) rather than its numpy twin."""
    return kernel is not None and os.environ.get("APPSIM_KERNELS", "") != "numpy"
