"""What a what-if adds, changes and removes against the file it extends (`appsim validate`)."""

from __future__ import annotations

from pathlib import Path

from sim.cli.app import main
from sim.scenario.overrides import overrides

from ..conftest import ROOT, TINY

WHAT_IF = """\
extends: {parent}
name: child
description: a what-if
apps:
  bank:
    adoption: {{ceiling: 0.6}}
    engagement: {{activity_mean: 0.2}}
timeline:
  monthly_releases: null
  launch_promo:
    type: campaign
    app: chat
    start: 2020-04-01
    end: 2020-05-01
    acquisition_multiplier: 2.0
    source: assumption
"""


def _child(tmp_path: Path, parent: Path = TINY) -> Path:
    path = tmp_path / "child.yaml"
    path.write_text(WHAT_IF.format(parent=parent))
    return path


def test_adds_changes_and_removes_are_each_listed(tmp_path):
    parent, found = overrides(_child(tmp_path))
    assert parent == TINY.resolve()
    assert [(o.kind, o.path) for o in found] == [
        ("changes", "apps.bank.adoption.ceiling"),
        ("removes", "timeline.monthly_releases"),
        ("adds", "timeline.launch_promo"),
    ]  # activity_mean 0.2 is the parent's value: not a change; name/description not listed
    texts = [o.text() for o in found]
    assert texts[0] == "changes apps.bank.adoption.ceiling: 0.8 -> 0.6"
    assert texts[1] == (
        "removes timeline.monthly_releases: the inherited release_cadence event on bank "
        "(from 2020-02-01), deleted by a blank value"
    )
    assert texts[2] == (
        "adds timeline.launch_promo: {type: campaign, app: chat, start: 2020-04-01, "
        "end: 2020-05-01, acquisition_multiplier: 2}"
    )


def test_against_the_merged_parent_of_a_chain(tmp_path):
    middle = tmp_path / "middle.yaml"
    middle.write_text(f"extends: {TINY}\napps:\n  bank:\n    adoption: {{ceiling: 0.7}}\n")
    _, found = overrides(_child(tmp_path, middle))
    assert found[0].text() == "changes apps.bank.adoption.ceiling: 0.7 -> 0.6"


def test_a_blank_for_a_key_the_parent_lacks_says_it_has_no_effect(tmp_path):
    path = tmp_path / "w.yaml"
    path.write_text(f"extends: {TINY}\ntimeline:\n  no_such_event_at_all: null\n")
    _, found = overrides(path)
    assert found[0].kind == "removes" and "no such key (no effect)" in found[0].text()


def test_a_file_without_extends_has_no_parent():
    assert overrides(TINY) == (None, [])


def test_validate_lists_the_overrides_and_exits_0(tmp_path, capsys):
    assert main(["validate", str(_child(tmp_path)), str(TINY)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ok: ") and "child" in out[0]
    assert out[1].startswith("  against ") and out[1].endswith("tiny.yaml:")
    assert out[2:5] == [
        "    changes apps.bank.adoption.ceiling: 0.8 -> 0.6",
        "    removes timeline.monthly_releases: the inherited release_cadence event on bank "
        "(from 2020-02-01), deleted by a blank value",
        "    adds timeline.launch_promo: {type: campaign, app: chat, start: 2020-04-01, "
        "end: 2020-05-01, acquisition_multiplier: 2}",
    ]
    assert out[5].startswith("ok: ") and len(out) == 6  # tiny extends nothing: no list


def test_validate_names_the_shipped_what_ifs_deletions(capsys):
    path = ROOT / "scenarios" / "what-if" / "no-open-api.yaml"
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "removes timeline.open_api_channel: the inherited channel event on rongexing" in out
