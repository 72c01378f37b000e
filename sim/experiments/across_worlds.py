"""What-ifs across plausible worlds: effects, how often they help, P(best) and regret.

Every scenario runs in the same K worlds (drawn from a posterior) and, inside each world,
over the same R seeds (common random numbers), so a what-if's effect in a world is the mean
over seeds of its paired difference from the base. Across worlds that effect has a
distribution: the parameter uncertainty a strategist faces. Its spread is split into the
part between worlds (parameters) and the part within them (Monte Carlo noise of R seeds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class WorldRuns:
    """The outcome of every scenario in every world and seed: shape (scenarios, K, R)."""

    names: list[str]
    worlds: list[dict[str, float]]
    values: np.ndarray

    def effects(self) -> np.ndarray:
        """Per what-if (scenarios after the base), its mean paired difference in each world."""
        diffs = self.values[1:] - self.values[:1]
        return np.asarray(diffs.mean(axis=2))


def effects_table(runs: WorldRuns) -> pd.DataFrame:
    """Per scenario: effect 5/50/95% across worlds, share of worlds helped, P(best), regret,
    and the share of the effect's variance that is parameter uncertainty."""
    world_means = runs.values.mean(axis=2)  # (scenarios, K)
    best = world_means.max(axis=0)
    winner = world_means.argmax(axis=0)
    rows = []
    for i, name in enumerate(runs.names):
        regret = best - world_means[i]
        row = {
            "scenario": name,
            "p_best": float(np.mean(winner == i)),
            "regret_mean": float(regret.mean()),
            "regret_p95": float(np.percentile(regret, 95)),
            "regret_max": float(regret.max()),
        }
        if i > 0:
            row |= _effect_columns(runs.values[i] - runs.values[0])
        rows.append(row)
    return pd.DataFrame(rows)


def _effect_columns(diffs: np.ndarray) -> dict[str, float]:
    """diffs: (K, R) paired differences of one what-if from the base."""
    per_world = diffs.mean(axis=1)
    q05, q50, q95 = np.percentile(per_world, [5, 50, 95])
    return {
        "effect_q05": float(q05),
        "effect_q50": float(q50),
        "effect_q95": float(q95),
        "share_helped": float(np.mean(per_world > 0)),
        "parameter_share": parameter_share(diffs),
    }


def parameter_share(diffs: np.ndarray) -> float:
    """The share of the across-worlds variance of an effect that is not seed noise: between-
    world variance of the world means, less the noise a mean of R seeds carries, over the
    between-world variance (0 if one world, or no spread at all)."""
    k, r = diffs.shape
    if k < 2:
        return 0.0
    between = float(np.var(diffs.mean(axis=1), ddof=1))
    noise = float(np.mean(np.var(diffs, axis=1, ddof=1)) / r) if r > 1 else 0.0
    if between <= 0:
        return 0.0
    return float(min(max((between - noise) / between, 0.0), 1.0))
