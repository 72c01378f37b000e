"""Command-line argument types: a bad value is an argparse error (usage, message, exit 2)."""

from __future__ import annotations

import argparse


def non_negative_int(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (got {value})")
    return value


def positive_int(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1 (got {value})")
    return value


def scale(text: str) -> float:
    """Customers per agent: 1 (every customer an agent) to 1e7."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 1 <= value <= 1e7:
        raise argparse.ArgumentTypeError(
            f"must be between 1 and 1e7 customers per agent (got {text})"
        )
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
