"""A what-if's value relative to its parent's: `{like: its own key, times: x}` multiplies
the extended file's value (each world's, across a posterior), and is never pinned."""

from __future__ import annotations

import pytest

import sim
from sim.cli.app import main
from sim.experiments.worlds import world_scenario

from ..conftest import TINY

OWN = "apps.chat.referral_from.bank"


def _what_if(folder, name, parent, value):
    path = folder / f"{name}.yaml"
    path.write_text(
        f"extends: {parent}\nname: {name}\napps:\n  chat:\n    referral_from:\n"
        f"      bank: {value}\n"
    )
    return path


def test_its_own_key_means_the_parents_value_times_the_factor(tmp_path):
    path = _what_if(tmp_path, "triple", TINY, f"{{like: {OWN}, times: 3}}")
    parent = sim.load_scenario(TINY).apps["chat"].referral_from["bank"]
    assert sim.load_scenario(path).apps["chat"].referral_from["bank"] == pytest.approx(3 * parent)


def test_factors_multiply_along_a_chain_of_extends(tmp_path):
    middle = _what_if(tmp_path, "triple", TINY, f"{{like: {OWN}, times: 3}}")
    top = _what_if(tmp_path, "half", middle, f"{{like: {OWN}, times: 0.5}}")
    parent = sim.load_scenario(TINY).apps["chat"].referral_from["bank"]
    assert sim.load_scenario(top).apps["chat"].referral_from["bank"] == pytest.approx(1.5 * parent)


def test_across_worlds_the_factor_multiplies_each_worlds_value(tmp_path):
    path = _what_if(tmp_path, "triple", TINY, f"{{like: {OWN}, times: 3}}")
    for value in (0.001, 0.004):
        scenario, pinned = world_scenario(path, {OWN: value})
        assert pinned == []
        assert scenario.apps["chat"].referral_from["bank"] == pytest.approx(3 * value)


def test_its_own_key_where_the_parent_has_none_is_a_located_error(tmp_path, capsys):
    path = tmp_path / "none.yaml"
    path.write_text(
        f"extends: {TINY}\nname: none\napps:\n  bank:\n    referral_from:\n"
        "      chat: {like: apps.bank.referral_from.chat, times: 2}\n"
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6: apps.bank.referral_from.chat.like" in err
    assert "the extended file's value" in err


def test_a_reference_that_names_no_number_is_reported_once(tmp_path, capsys):
    path = _what_if(tmp_path, "loop", TINY, "{like: apps.chat.referral_from.bank.nothing}")
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.count("error:") == 1
