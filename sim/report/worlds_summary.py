"""The opening summary of a comparison across worlds, in words from its numbers.

Per what-if: the median effect with its 5-95% range across worlds (parameter uncertainty
and Monte Carlo noise together), the share of worlds where it helps, P(best), the split of
the spread into parameter uncertainty and Monte Carlo noise, and which parameters decide
its sign (scenario discovery, sim/experiments/discovery.py).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.experiments.across_worlds import WorldRuns
from sim.experiments.discovery import rule_sentence, sign_rule
from sim.report.folders import RATIOS, number
from sim.report.summary_text import measure, signed
from sim.results.words import counted

ACROSS = "across worlds: parameter uncertainty and Monte Carlo noise"


def worlds_sentences(runs: WorldRuns, table: pd.DataFrame, info: dict[str, Any]) -> list[str]:
    """The summary's sentences: one per what-if, then which scenario is most often best."""
    metric, app = str(info["outcome"]).split(":", 1)
    scale, unit = (1.0, "") if metric in RATIOS else (1e6, " M")
    rows = {str(r["scenario"]): r for r in table.to_dict("records")}
    base = runs.names[0]
    out = [
        f"Effects on {measure(metric, app)} on {info['at']}, what-if minus {base}, in "
        f"{counted(info['worlds'], 'world')} drawn from the posterior x "
        f"{counted(info['reps'], 'seed')} each (common "
        "random numbers)."
    ]
    worlds = pd.DataFrame(runs.worlds)
    for i, name in enumerate(runs.names[1:]):
        row = rows[name]
        effect = runs.effects()[i]
        share = float(row["parameter_share"])
        if not effect.any():  # nothing to split into parameters and noise
            out.append(f"{name}: no effect on {info['at']} in any of the worlds (exactly 0).")
            continue
        out.append(
            f"{name}: median {signed(row['effect_q50'] / scale, unit)} (5-95% {ACROSS}: "
            f"{number(row['effect_q05'] / scale)} to {number(row['effect_q95'] / scale)}{unit}); "
            f"it helps in {row['share_helped']:.0%} of worlds and is best in "
            f"{row['p_best']:.0%} (P(best)); of the spread across worlds, {share:.0%} is "
            f"parameter uncertainty and {1 - share:.0%} Monte Carlo noise of "
            f"{counted(info['reps'], 'seed')}. "
            + rule_sentence(name, effect, sign_rule(worlds, effect))
        )
    p_best = dict(zip(table["scenario"].astype(str), table["p_best"].astype(float), strict=True))
    best = max(p_best, key=p_best.__getitem__)
    out.append(
        f"{best} is best in the most worlds ({p_best[best]:.0%}); {base}, the base, "
        f"in {p_best[base]:.0%}."
    )
    return out
