"""Scenario discovery on synthetic worlds where the answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.discovery import rule_sentence, sign_rule


def _worlds(k: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame(
        {"boost": rng.uniform(1, 16, k), "churn": rng.uniform(0, 1, k), "q": rng.uniform(0, 3, k)}
    )


def test_the_rule_names_the_deciding_parameter_and_its_threshold():
    worlds = _worlds()
    effect = np.where(worlds["boost"] < 5.0, 1.0, -1.0)  # helps only where boost < 5
    rule = sign_rule(worlds, effect)
    assert rule is not None and rule.helps
    (name, op, cut), *_ = rule.conditions
    assert (name, op) == ("boost", "<=")
    assert abs(cut - 5.0) < 0.5  # within the gap between neighbouring worlds
    text = rule_sentence("no-consolidation", effect, rule)
    assert text.startswith("no-consolidation helps only where boost is at most")


def test_noise_gives_no_rule_and_says_so():
    worlds = _worlds()
    effect = np.random.default_rng(0).normal(size=len(worlds))
    rule = sign_rule(worlds, effect)
    assert rule is None
    assert "no one or two parameters decide" in rule_sentence("w", effect, rule)


def test_every_world_agreeing_is_said_plainly():
    worlds = _worlds(10)
    assert sign_rule(worlds, np.ones(10)) is None
    assert rule_sentence("w", np.ones(10), None) == "w helps in every one of the 10 worlds."
    assert rule_sentence("w", -np.ones(10), None) == "w helps in none of the 10 worlds."


def test_the_worlds_summary_opens_with_each_what_ifs_effect_across_worlds():
    from sim.experiments.across_worlds import WorldRuns, effects_table
    from sim.report.worlds_summary import worlds_sentences

    worlds = _worlds(40)
    base = np.full((40, 2), 100e6)
    sign = np.where(worlds["boost"] < 5.0, 1.0, -1.0)
    what_if = base + 2e6 * sign[:, None] + np.array([0.0, 1e5])  # two seeds, a little noise
    runs = WorldRuns(["base", "w"], worlds.to_dict("records"), np.stack([base, what_if]))
    info = {"outcome": "mau:suite", "at": "2019-05-31", "worlds": 40, "reps": 2}
    text = " ".join(worlds_sentences(runs, effects_table(runs), info))
    helped = int((sign > 0).sum())
    assert "5-95% across worlds: parameter uncertainty and Monte Carlo noise" in text
    assert f"it helps in {helped / 40:.0%} of worlds" in text
    assert "Monte Carlo noise of 2 seeds" in text
    assert "w helps only where boost is at most" in text
