"""The README's `appsim check` table is what the command prints: its targets and relations
are the shipped targets file's, and its numbers are in the one formatter's form."""

from __future__ import annotations

import pandas as pd

from sim.cli.check import format_fit
from sim.experiments.targets import _relation_text, load_targets
from sim.report.folders import markdown_table

from ..conftest import ROOT

COMMAND = "appsim check scenarios/baseline.yaml --targets scenarios/targets/icbc-2019.yaml"


def readme_table() -> list[str]:
    lines = (ROOT / "README.md").read_text().splitlines()
    quoted = next(i for i, line in enumerate(lines) if f"`{COMMAND}` prints it" in line)
    start = next(i for i in range(quoted, len(lines)) if lines[i].startswith("| target |"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def test_the_readme_check_table_is_as_check_prints_it():
    table = readme_table()
    cells = [[c.strip() for c in row.strip("|").split("|")] for row in table[2:]]
    targets = load_targets(ROOT / "scenarios" / "targets" / "icbc-2019.yaml")
    assert [row[0] for row in cells] == list(targets.targets)
    # the table check would print from these numbers (relation texts from the targets file)
    computed = pd.DataFrame(
        {
            "target": [row[0] for row in cells],
            "app": [t.app for t in targets.targets.values()],
            "metric": [t.metric for t in targets.targets.values()],
            "date": [t.date.isoformat() for t in targets.targets.values()],
            "relation": [_relation_text(t) for t in targets.targets.values()],
            "simulated_mean": [float(row[5]) * 1e6 for row in cells],
            "band_5": [float(row[6]) * 1e6 for row in cells],
            "band_95": [float(row[7]) * 1e6 for row in cells],
            "pass": [row[8] == "pass" for row in cells],
        }
    )
    assert markdown_table(format_fit(computed)).splitlines() == table
