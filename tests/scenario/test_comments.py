"""No comment or `source:` in a shipped scenario file claims a number its key does not have.

The rule is narrow, so that it never flags a correct file:
- a `key: NUMBER  # comment` line whose comment says `key = X`, starts with `= X`, or (for a
  key with `mean` in its name) says `mean X` must have X equal to the value, and one whose
  comment says `X%` (for a value in 0..1) must have X / 100 equal to it;
- a mapping's `source:` that says `mean X` must match the mapping's only key with `mean` in
  its name, and one that says `KEY = X` or `KEY X-Y` (KEY a key of the mapping, or `p` / `q`
  for `p_per_year` / `q_per_year`) must hold that value, or one within the range.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from ..conftest import ROOT

FILES = sorted((ROOT / "scenarios").rglob("*.yaml"))
NUMBER = r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?"
LINE = re.compile(rf"^\s*-?\s*([A-Za-z_]\w*):\s*({NUMBER})\s+#\s*(.*)$")
ALIASES = {"p": "p_per_year", "q": "q_per_year"}


def _same(claimed: str, value: float) -> bool:
    return abs(float(claimed) - value) <= 1e-9 * max(1.0, abs(value))


def line_contradictions(text: str) -> list[str]:
    """`key: value  # comment` lines whose comment claims another value for the key."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        m = LINE.match(line)
        if not m:
            continue
        key, value, comment = m.group(1), float(m.group(2)), m.group(3)
        claims = re.findall(rf"(?:^|\b{key}\s*)=\s*({NUMBER})\b", comment)
        if "mean" in key:
            claims += re.findall(rf"\bmean\s+({NUMBER})\b", comment)
        wrong = [c for c in claims if not _same(c, value)]
        if 0 <= value <= 1:
            wrong += [
                f"{c}%" for c in re.findall(rf"({NUMBER})%", comment) if not _same(c, value * 100)
            ]
        out += [f"line {number}: {key}: {value} but the comment says {c}" for c in wrong]
    return out


def source_contradictions(node: Any, path: str = "") -> list[str]:
    """Mappings whose `source:` claims a value (or range) that a key of theirs does not have."""
    if isinstance(node, list):
        return [m for i, v in enumerate(node) for m in source_contradictions(v, f"{path}[{i}]")]
    if not isinstance(node, dict):
        return []
    out = [m for k, v in node.items() for m in source_contradictions(v, f"{path}.{k}")]
    source = node.get("source")
    if isinstance(source, str):
        out += [f"{path}: {m}" for m in _claims(" ".join(source.split()), _numbers(node))]
    return out


def _numbers(node: dict[str, Any]) -> dict[str, float]:
    return {
        str(k): float(v)
        for k, v in node.items()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }


def _claims(source: str, numbers: dict[str, float]) -> list[str]:
    out = []
    means = [k for k in numbers if "mean" in k]
    for claimed in re.findall(rf"\bmean\s+({NUMBER})\b", source):
        if len(means) == 1 and not _same(claimed, numbers[means[0]]):
            out.append(f"{means[0]} is {numbers[means[0]]} but the source says mean {claimed}")
    for name in [*numbers, *ALIASES]:
        key = ALIASES.get(name, name)
        if key not in numbers:
            continue
        value = numbers[key]
        for claimed in re.findall(rf"\b{name}\s*=\s*({NUMBER})\b", source):
            if not _same(claimed, value):
                out.append(f"{key} is {value} but the source says {name} = {claimed}")
        for lo, hi in re.findall(rf"\b{name}\s+({NUMBER})\s*-\s*({NUMBER})\b", source):
            if not float(lo) <= value <= float(hi):
                out.append(f"{key} is {value} but the source says {name} {lo}-{hi}")
    return out


@pytest.mark.parametrize("path", FILES, ids=[str(f.relative_to(ROOT)) for f in FILES])
def test_no_comment_contradicts_its_value(path: Path):
    text = path.read_text()
    found = line_contradictions(text) + source_contradictions(YAML(typ="safe").load(text))
    assert not found, found


def test_the_line_rule_flags_what_it_should():
    text = "\n".join(
        [
            "share: 0.33   # 33% of customers",  # right
            "ceiling: 0.4  # 45% of the eligible",  # wrong
            "activity_mean: 0.1  # mean 0.12",  # wrong
            "scale: 5000   # within 1.3% (not a share: no % rule)",
            "every: 30     # every = 30 days",  # right
            "samples: 50   # (3 + 1) x 50 = 200 runs (a product, not the key)",
            "half_life_days: 10  # = 14 days",  # wrong
            "boost: 2.0    # boost = 3",  # wrong
        ]
    )
    found = line_contradictions(text)
    assert [f.split(":")[0] for f in found] == ["line 2", "line 3", "line 7", "line 8"], found


def test_the_source_rule_flags_the_old_baseline_texts():
    adoption = {
        "p_per_year": 0.04,
        "q_per_year": 0.35,
        "source": "assumption within the Bass literature (p 0.01-0.03, q 0.2-0.4 per year)",
    }
    engagement = {"activity_mean": 0.1, "source": "-> a skewed Beta with mean 0.12"}
    found = source_contradictions({"a": adoption, "e": engagement})
    assert found == [
        ".a: p_per_year is 0.04 but the source says p 0.01-0.03",
        ".e: activity_mean is 0.1 but the source says mean 0.12",
    ]
    engagement["activity_mean"] = 0.12
    adoption["p_per_year"] = 0.02
    assert source_contradictions({"a": adoption, "e": engagement}) == []
