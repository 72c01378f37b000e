"""`appsim validate`: check scenario files without running them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import EXIT_OK, EXIT_USAGE, ScenarioError
from sim.results.words import counted


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")
    p.add_argument(
        "--prior",
        type=Path,
        default=None,
        help="a prior file: warn where a what-if pins a parameter the prior leaves free",
    )


def execute(args: argparse.Namespace) -> int:
    from sim.scenario.load import load_scenario

    free = _free_parameters(args.prior)
    worst = EXIT_OK
    for path in args.scenarios:
        try:
            sc = load_scenario(path)
        except ScenarioError as exc:
            for problem in exc.problems:
                print(f"error: {problem}", file=sys.stderr)
            worst = EXIT_USAGE
            continue
        events = counted(len(sc.timeline), "timeline event")
        print(f"ok: {path}: {sc.name} ({counted(len(sc.apps), 'app')}, {events})")
        for line in against_parent(path):
            print(line)
        for note in pinned_free(path, free):
            print(f"warning: {note}", file=sys.stderr)
    return worst


def against_parent(path: Path) -> list[str]:
    """What the file adds, changes and removes against the file it extends (nothing when it
    extends none), one indented line each."""
    import os

    from sim.scenario.overrides import overrides

    parent, found = overrides(path)
    if parent is None:
        return []
    shown = os.path.relpath(parent) if parent.is_relative_to(Path.cwd()) else parent
    if not found:
        return [f"  against {shown}: no changes"]
    return [f"  against {shown}:", *(f"    {o.text()}" for o in found)]


def _free_parameters(prior: Path | None) -> list[str]:
    if prior is None:
        return []
    from sim.experiments.prior import load_prior

    return list(load_prior(prior).parameters)


def pinned_free(path: Path, free: list[str]) -> list[str]:
    """A what-if's settings of parameters the calibration decides: across worlds they keep
    the what-if's value, so the what-if changes them too."""
    from sim.scenario.yamlio import load_tree, root_file

    root = str(root_file(path))
    if str(path) == root or Path(path).resolve() == Path(root).resolve():
        return []
    _, lines = load_tree(path)
    out = []
    for key in free:
        file, line = lines.locate(tuple(key.split(".")))
        if file != root:
            out.append(
                f"{file}:{line}: {key}: pins a parameter the prior leaves free; across worlds "
                "it keeps this value instead of the world's"
            )
    return out
