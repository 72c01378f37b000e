"""Compiled versions of the engine's hot loops, one module per engine module they speed up.

Each function here is the compiled twin of numpy code in `sim.engine.<same name>`, which
chooses between them (`sim.engine.compiled.use_compiled`); both give identical results. Without
numba every name here is None. Columns travel as records (`records`), not one argument each.
"""
