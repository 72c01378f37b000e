"""Every number in a shipped scenario carries a source (a citation, or `assumption`).

A mapping holding a number must have a `source:` itself or in an enclosing mapping below the
top level (so a block's source covers its numbers). Dates and words are not numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ..conftest import ROOT

FILES = [
    ROOT / "scenarios" / "baseline.yaml",
    *sorted((ROOT / "scenarios" / "what-if").glob("*.yaml")),
]


def unsourced(node: Any, path: str, covered: bool) -> list[str]:
    if isinstance(node, dict):
        covered = covered or bool(node.get("source"))
        return [m for k, v in node.items() for m in unsourced(v, f"{path}.{k}", covered)]
    if isinstance(node, list):
        return [m for i, v in enumerate(node) for m in unsourced(v, f"{path}[{i}]", covered)]
    is_number = isinstance(node, int | float) and not isinstance(node, bool)
    return [path] if is_number and not covered else []


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_every_number_has_a_source(path: Path):
    tree = YAML(typ="safe").load(path.read_text())
    # the file's own top-level source describes the story; it does not cover every number
    missing = [
        m
        for k, v in tree.items()
        if k != "source"
        for m in unsourced(v, f"{path.stem}.{k}", covered=False)
    ]
    assert not missing, missing


def test_the_check_flags_an_unsourced_number():
    tree = {"apps": {"a": {"adoption": {"p_per_year": 0.1}}, "b": {"source": "x", "q": 1}}}
    assert unsourced(tree, "s", covered=False) == ["s.apps.a.adoption.p_per_year"]
