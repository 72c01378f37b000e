"""What a posterior calibration found, in words and tables written from its numbers: how far
it got (simulations, generations, epsilon), which targets the posterior's worlds meet, and
how much the targets narrowed each free parameter against its prior.

Every interval is across the posterior's worlds (parameter uncertainty), as the tables
label it; the fit's customer counts are in millions, ratio metrics as they are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.posterior import weighted_quantiles
from sim.experiments.prior import Prior
from sim.report.folders import RATIOS, number
from sim.report.summary_text import ACROSS_WORLDS, measure
from sim.results.words import counted

QUANTILES = [0.05, 0.5, 0.95]


def parameters_table(particles: pd.DataFrame, prior: Prior) -> pd.DataFrame:
    """Per free parameter: its prior, the prior's and the posterior's 5/50/95%, and the
    posterior's 90% width as a share of the prior's."""
    weights = particles["weight"].to_numpy()
    rows = []
    for path, spec in prior.parameters.items():
        before = [float(spec.frozen().ppf(q)) for q in QUANTILES]
        after = weighted_quantiles(particles[path].to_numpy(), weights, QUANTILES)
        width = before[2] - before[0]
        row: dict[str, object] = {"parameter": path, "prior": spec.dist}
        for kind, values in (("prior", before), ("posterior", after)):
            for q, value in zip(QUANTILES, values, strict=True):
                row[f"{kind}_q{round(q * 100):02d}"] = float(value)
        row["width_ratio"] = (after[2] - after[0]) / width if width > 0 else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def posterior_sentences(
    prior: Prior, generations: pd.DataFrame, fit: pd.DataFrame, params: pd.DataFrame
) -> list[str]:
    """The opening paragraph: the run, the fit to the targets, the narrowed parameters."""
    last = generations.iloc[-1]
    sims = int(generations["simulations"].sum())
    met = "every particle meets every target"
    if last["epsilon"] > 0:
        met = (
            f"no generation reached epsilon 0 (the last is {number(last['epsilon'])}): the "
            "particles are the worlds closest to the targets, not worlds that meet them all"
        )
    out = [
        f"ABC-SMC drew {counted(sims, 'simulated world')} at 1:{prior.scale:g} over "
        f"{counted(len(generations), 'generation')} for "
        f"{counted(len(prior.parameters), 'free parameter')}; the last generation keeps "
        f"{counted(int(last['accepted']), 'particle')} (effective sample "
        f"{number(last['ess'])}), and {met}.",
        _fit_sentence(fit),
        *(_narrowed(row) for row in params.to_dict("records")),
        f"Intervals are 5-95% {ACROSS_WORLDS} (the posterior's worlds, weighted).",
    ]
    return out


def _fit_sentence(fit: pd.DataFrame) -> str:
    inside = (fit["q50"] >= fit["low"]) & (fit["q50"] <= fit["high"])
    text = (
        f"The posterior's median lies inside the target for {int(inside.sum())} of "
        f"{counted(len(fit), 'target')}"
    )
    missed = [_missed(row) for row in fit[~inside].to_dict("records")]
    return text + (f"; it misses {'; '.join(missed)}." if missed else ".")


def _missed(row: dict) -> str:
    scale, unit = (1.0, "") if row["metric"] in RATIOS else (1e6, " M")
    return (
        f"{row['target']} ({measure(row['metric'], row['app'])} on {row['date']}: median "
        f"{number(row['q50'] / scale)}{unit}, 5-95% {number(row['q05'] / scale)} to "
        f"{number(row['q95'] / scale)}{unit}, target {_interval(row, scale, unit)})"
    )


def _interval(row: dict, scale: float, unit: str) -> str:
    low, high = row["low"] / scale, row["high"] / scale
    if np.isinf(high):
        return f">= {number(low)}{unit}"
    if np.isinf(low) or low <= 0:
        return f"<= {number(high)}{unit}"
    return f"in [{number(low)}, {number(high)}]{unit}"


def _narrowed(row: dict) -> str:
    share = row["width_ratio"]
    how = f"its 90% range {share:.0%} of the prior's" if share == share else "a point prior"
    return (
        f"{row['parameter']}: posterior median {number(row['posterior_q50'])}, 5-95% "
        f"{number(row['posterior_q05'])} to {number(row['posterior_q95'])} (prior "
        f"{row['prior']}, 5-95% {number(row['prior_q05'])} to {number(row['prior_q95'])}; "
        f"{how})."
    )
