"""Shared fixtures: the tiny two-app world, as a tree to tweak and as a Scenario."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from sim.scenario.load import scenario_from_dict
from sim.scenario.schema import Scenario

HERE = Path(__file__).parent
ROOT = HERE.parent
TINY = HERE / "scenarios" / "tiny.yaml"


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


_TINY_TREE = _plain(YAML(typ="safe").load(TINY.read_text()))


@pytest.fixture
def tiny_tree() -> dict[str, Any]:
    """A fresh, editable copy of tests/scenarios/tiny.yaml as plain Python values."""
    return copy.deepcopy(_TINY_TREE)


def build(tree: dict[str, Any]) -> Scenario:
    """A validated Scenario from a tree."""
    return scenario_from_dict(tree)
