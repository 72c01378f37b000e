"""Loading scenarios: extends, line numbers, suggestions, and the cross-checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import ScenarioError, load_scenario

from ..conftest import ROOT, TINY


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return [str(p) for p in caught.value.problems]


def child_of_tiny(tmp_path: Path, body: str) -> Path:
    return write(tmp_path, "child.yaml", f"extends: {TINY}\n{body}")


def test_baseline_and_tiny_load():
    assert load_scenario(ROOT / "scenarios" / "baseline.yaml").name == "baseline"
    assert load_scenario(TINY).name == "tiny"


def test_extends_deep_merges_and_null_deletes(tmp_path):
    path = child_of_tiny(
        tmp_path,
        ("apps:\n  bank:\n    adoption: {p_per_year: 0.5}\ntimeline:\n  monthly_releases: null\n"),
    )
    sc = load_scenario(path)
    assert sc.name == "child"  # a child without a name takes its file's
    assert sc.apps["bank"].adoption.p_per_year == 0.5
    assert sc.apps["bank"].adoption.q_per_year == 1.0  # kept from the parent
    assert "monthly_releases" not in sc.timeline


def test_unknown_key_names_file_line_and_suggests(tmp_path):
    path = child_of_tiny(tmp_path, "apps:\n  bank:\n    adoption:\n      p_per_yaer: 0.5\n")
    [message] = problems_of(path)
    assert message.startswith(f"{path}:5: apps.bank.adoption.p_per_yaer:")
    assert "did you mean 'p_per_year'" in message


def test_errors_in_the_parent_point_at_the_parent(tmp_path):
    parent = write(tmp_path, "parent.yaml", TINY.read_text().replace("share: 0.6", "share: 1.6"))
    child = write(tmp_path, "child.yaml", "extends: parent.yaml\n")
    messages = problems_of(child)
    assert any(m.startswith(f"{parent}:") and "segments.young.share" in m for m in messages)


def test_value_out_of_range_shows_the_value(tmp_path):
    path = child_of_tiny(tmp_path, "apps:\n  bank:\n    adoption:\n      ceiling: 1.5\n")
    [message] = problems_of(path)
    assert ":5: apps.bank.adoption.ceiling:" in message and "(got 1.5)" in message


def test_missing_key_is_named(tmp_path):
    path = write(tmp_path, "s.yaml", "name: x\nhorizon: {start: 2020-01-01, end: 2020-02-01}\n")
    messages = problems_of(path)
    assert any("population: required key is missing" in m for m in messages)
    assert any("apps: required key is missing" in m for m in messages)


def test_yaml_syntax_error_has_a_line(tmp_path):
    path = write(tmp_path, "s.yaml", "name: x\nhorizon: {start: 2020-01-01\napps: [\n")
    [message] = problems_of(path)
    assert message.startswith(f"{path}:") and "YAML syntax error" in message


def test_extends_cycle_and_missing_parent(tmp_path):
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    assert "cycle" in problems_of(tmp_path / "a.yaml")[0]
    lone = write(tmp_path, "c.yaml", "extends: nowhere.yaml\n")
    assert "no such file" in problems_of(lone)[0]


def test_object_constructing_tags_are_refused(tmp_path):
    path = write(tmp_path, "s.yaml", "name: !!python/object/apply:os.system ['echo hi']\n")
    [message] = problems_of(path)
    assert str(path) in message


def test_billion_laughs_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    path = write(tmp_path, "s.yaml", "\n".join(lines) + "\n")
    [message] = problems_of(path)
    assert "aliases expand too far" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "timeline:\n  gone:\n    type: delist\n    app: bank\n    date: 2018-01-01\n",
            "outside the horizon",
        ),
        (
            "timeline:\n  gone:\n    type: delist\n    app: chat\n    date: 2020-02-01\n",
            "before the app's launch",
        ),
        (
            "timeline:\n  gone:\n    type: delist\n    app: bank\n    date: 2020-05-01\n"
            "    migrate_to: {nowhere: 1.0}\n",
            "must name another app",
        ),
        (
            "timeline:\n  gone:\n    type: delist\n    app: bankk\n    date: 2020-05-01\n",
            "unknown app",
        ),
        ("population:\n  segments:\n    young: {share: 0.5}\n", "must sum to 1"),
        ("timeline:\n  x:\n    type: delistt\n    app: bank\n", "type"),
    ],
)
def test_cross_checks(tmp_path, body, expected):
    messages = problems_of(child_of_tiny(tmp_path, body))
    assert any(expected in m for m in messages), messages


def test_migration_to_an_already_delisted_app(tmp_path):
    body = (
        "timeline:\n"
        "  close_chat: {type: delist, app: chat, date: 2020-05-01}\n"
        "  close_bank: {type: delist, app: bank, date: 2020-06-01, migrate_to: {chat: 1.0}}\n"
    )
    messages = problems_of(child_of_tiny(tmp_path, body))
    assert any("already delisted" in m and "close_bank" in m for m in messages), messages


def test_the_peak_population_and_the_coarsest_scale(tiny_tree):
    """tiny.yaml grows from 200,000 to 240,000 customers: at more than 240,000 customers per
    agent not one agent remains, and every path to an engine refuses the scale."""
    from sim import UsageError

    from ..conftest import build

    scenario = build(tiny_tree)
    assert scenario.peak_customers() == 240_000
    assert scenario.run_scale(240_000) == 240_000 and scenario.too_coarse(240_000) is None
    with pytest.raises(UsageError, match=r"no agent to simulate.*at most 240000"):
        scenario.run_scale(240_001)
    tiny_tree["horizon"]["end"] = "2020-07-01"  # the base is read up to the horizon's end
    assert build(tiny_tree).peak_customers() == pytest.approx(220_000, rel=1e-3)


def test_dates_in_messages_are_written_as_in_the_file():
    import datetime as dt

    from sim.errors import short_repr

    day = dt.date(2030, 1, 15)
    assert short_repr(day) == "2030-01-15"
    assert short_repr([day, {"on": day}]) == "[2030-01-15, {'on': 2030-01-15}]"
