"""The compiled loops of `sim.engine.draws`: numpy's samplers, drawn from a `Stream`'s
addresses (`sim.engine.compiled.generator_at`), one element after another as numpy does."""

from __future__ import annotations

from sim.engine.compiled import compile_all, generator_at


def _geometric(pointers, p, out):  # fmt: skip
    rng = generator_at(pointers)
    for i in range(len(p)):
        out[i] = rng.geometric(p[i])


def _binomial(pointers, n, p, out):  # fmt: skip
    rng = generator_at(pointers)
    for i in range(len(n)):
        out[i] = rng.binomial(n[i], p[i])


def _uniforms(pointers, out):  # fmt: skip
    rng = generator_at(pointers)
    for i in range(len(out)):
        out[i] = rng.random()


geometric, binomial, uniforms = compile_all(_geometric, _binomial, _uniforms)
