"""User-facing errors: every problem in a scenario names its file, line, key path and value.

A `ScenarioError` carries one or more `Problem`s; the CLI prints each as
``file:line: key.path: message (got X)`` and exits with code 2. Nothing else in appsim
should turn a user's mistake into a traceback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# the exit codes of every command: 1 is a failed check, 2 a user's mistake, 130 Ctrl-C
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
KeyPath = tuple[str | int, ...]

_MISSING = object()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located as precisely as we can."""

    file: str
    line: int | None
    path: KeyPath
    message: str
    value: object = _MISSING

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = dotted(self.path) or "(top level)"
        got = "" if self.value is _MISSING else f" (got {short_repr(self.value)})"
        return f"{where}: {key}: {self.message}{got}"


class ScenarioError(Exception):
    """A scenario file (or a chain of them) cannot be used; holds every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UsageError(Exception):
    """A command-line request that cannot be honoured (exit code 2, no traceback)."""


def dotted(path: KeyPath) -> str:
    """Render a key path as ``apps.rongexing.launch`` or ``base[2].date``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def short_repr(value: object, limit: int = 60) -> str:
    """A value as a message shows it, cut so that it will not flood the terminal."""
    text = shown(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown(value: object) -> str:
    """A repr in the user's terms: dates as they are written, 2030-01-15, also inside lists
    and mappings (a date's repr, `datetime.date(2030, 1, 15)`, is Python's, not theirs)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{shown(k)}: {shown(v)}" for k, v in value.items()) + "}"
    return repr(value)


def missing() -> object:
    """The sentinel meaning 'no value to show' (for Problem.value)."""
    return _MISSING


class ResultQueryError(KeyError, ValueError):
    """A question a `Result` cannot answer (an unknown metric or app, a date outside the run);
    the message says what is valid. A KeyError and a ValueError, so either catch works."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
