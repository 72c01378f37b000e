"""How messages name a command's output folder: `--out X` when the user gave it, or the
default folder's path, said to be the default, with how to choose another.

Every command that writes a report folder takes it from `output_folder`, which remembers
the defaults; every refusal names the folder through `named` and `choose_another`.
"""

from __future__ import annotations

from pathlib import Path

_DEFAULTS: set[Path] = set()  # resolved paths a command took as its default folder


def output_folder(given: Path | None, default: Path) -> Path:
    """The folder a command writes: its `--out` (`given`) if any, else `default`."""
    if given is not None:
        _DEFAULTS.discard(given.resolve())
        return given
    _DEFAULTS.add(default.resolve())
    return default


def is_default(out: Path) -> bool:
    return out.resolve() in _DEFAULTS


def named(out: Path) -> str:
    """`--out reports/x`, or `reports/x (the default output folder; no --out was given)`."""
    if is_default(out):
        return f"{out} (the default output folder; no --out was given)"
    return f"--out {out}"


def choose_another(out: Path) -> str:
    """How to write elsewhere, in the words of how `out` was chosen."""
    return "choose another folder with --out DIR" if is_default(out) else "choose another --out"
