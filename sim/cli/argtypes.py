"""Command-line argument types: a bad value is an argparse error (usage, message, exit 2)."""

from __future__ import annotations

import argparse
import os

from sim.scenario.limits import SCALE_MAX, SCALE_MIN, SCALE_RANGE_TEXT


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
    if not SCALE_MIN <= value <= SCALE_MAX:
        raise argparse.ArgumentTypeError(
            f"must be between {SCALE_RANGE_TEXT} customers per agent (got {text})"
        )
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def add_scale(p: argparse.ArgumentParser) -> None:
    """`--scale`: customers per agent, the scenario's unless given."""
    p.add_argument(
        "--scale", type=scale, default=None, help="customers per agent (default: the scenario's)"
    )


def add_backend(p: argparse.ArgumentParser, scheduler: bool = True) -> None:
    """`--workers` (local processes, all cores by default) and `--scheduler` (a Dask
    cluster's address): where a multi-run command's runs go."""
    p.add_argument(
        "--workers",
        type=positive_int,
        default=os.cpu_count() or 1,
        help="local worker processes (default: all cores)",
    )
    if scheduler:
        p.add_argument(
            "--scheduler",
            default=None,
            help="address of an existing Dask scheduler (default: none, run locally)",
        )
