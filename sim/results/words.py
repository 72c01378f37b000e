"""Counts in words, for every message and report sentence: `1 run`, `2 runs`, `1 seed`."""

from __future__ import annotations


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`n` and `noun`, the noun plural unless `n` is 1: `counted(1, "seed")` is `1 seed`,
    `counted(1200, "run")` is `1,200 runs`; `plural` for a noun not made plural by `s`."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
