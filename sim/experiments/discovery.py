"""Scenario discovery: which parameters decide the sign of a what-if's effect, in words.

Across K worlds a what-if helps in some and hurts in others. A shallow classification tree
(scikit-learn, depth at most 2, leaves of at least 5% of the worlds) on the worlds'
parameters finds the box where the less common outcome concentrates, and says it as a
strategist reads it: "no-consolidation helps only where x is below 2.1 (in 18 of 20 such
worlds; in 3 of 80 elsewhere)". EMA Workbench's PRIM does the same with boxes, but its
current release needs Python 3.12 and the one before it brings statsmodels and seaborn;
scikit-learn is already installed with pyabc.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.results.words import counted

MIN_LEAF_SHARE = 0.05
# a box is a rule only if most of its worlds have the outcome (density) and it holds most of
# the worlds that have it (coverage): PRIM's two measures, at levels noise rarely reaches
MIN_DENSITY = 0.75
MIN_COVERAGE = 0.5


@dataclass
class Rule:
    """Where the minority outcome (`helps` true or false) concentrates."""

    helps: bool
    conditions: list[tuple[str, str, float]]  # (parameter, "<=" or ">", threshold)
    inside: tuple[int, int]  # (worlds with the outcome, worlds) inside the box
    outside: tuple[int, int]  # the same outside it


def sign_rule(worlds: pd.DataFrame, effect: np.ndarray) -> Rule | None:
    """The box of parameters where the less common sign of `effect` holds, or None when
    every world agrees or no box sorts the worlds much better than chance."""
    from sklearn.tree import DecisionTreeClassifier

    helps = effect > 0
    if helps.all() or not helps.any():
        return None
    minority = bool(helps.mean() < 0.5)
    target = helps == minority
    leaf = max(2, int(np.ceil(MIN_LEAF_SHARE * len(effect))))
    tree = DecisionTreeClassifier(max_depth=2, min_samples_leaf=leaf, random_state=0)
    tree.fit(worlds.to_numpy(), target)
    box = _best_leaf(tree, worlds, target)
    if box is None:
        return None
    conditions, mask = box
    hits = target[mask].sum()
    if hits < MIN_DENSITY * mask.sum() or hits < MIN_COVERAGE * target.sum():
        return None
    counts = (int(target[mask].sum()), int(mask.sum()))
    rest = (int(target[~mask].sum()), int((~mask).sum()))
    return Rule(minority, conditions, counts, rest)


def _best_leaf(
    tree: object, worlds: pd.DataFrame, target: np.ndarray
) -> tuple[list[tuple[str, str, float]], np.ndarray] | None:
    """The leaf with the most minority worlds among those where they are the majority."""
    t = tree.tree_  # type: ignore[attr-defined]
    x = worlds.to_numpy()
    best: tuple[int, list[tuple[str, str, float]], np.ndarray] | None = None

    def walk(node: int, conditions: list[tuple[str, str, float]], mask: np.ndarray) -> None:
        nonlocal best
        if t.children_left[node] == -1:
            hits = int(target[mask].sum())
            if hits * 2 > mask.sum() and (best is None or hits > best[0]):
                best = (hits, conditions, mask)
            return
        col, cut = int(t.feature[node]), float(t.threshold[node])
        name = str(worlds.columns[col])
        low = mask & (x[:, col] <= cut)
        walk(int(t.children_left[node]), [*conditions, (name, "<=", cut)], low)
        walk(int(t.children_right[node]), [*conditions, (name, ">", cut)], mask & ~low)

    walk(0, [], np.ones(len(x), dtype=bool))
    return None if best is None else (best[1], best[2])


def rule_sentence(name: str, effect: np.ndarray, rule: Rule | None) -> str:
    """The rule in words (or that every world agrees, or that no parameter decides)."""
    helped = int((effect > 0).sum())
    if rule is None:
        if helped == len(effect):
            return f"{name} helps in every one of the {counted(len(effect), 'world')}."
        if helped == 0:  # "does not help in every one" would read as "in some, not all"
            return f"{name} helps in none of the {counted(len(effect), 'world')}."
        return (
            f"{name} helps in {helped} of {counted(len(effect), 'world')}; no one or two "
            "parameters decide where (the sign may be Monte Carlo noise or many small influences)."
        )
    verb = "helps" if rule.helps else "does not help"
    where = " and ".join(
        f"{p} is {'at most' if op == '<=' else 'above'} {cut:.3g}" for p, op, cut in rule.conditions
    )
    strength = "only" if rule.outside[0] <= 0.1 * max(rule.inside[0], 1) else "mostly"
    return (
        f"{name} {verb} {strength} where {where} (in {rule.inside[0]} of {rule.inside[1]} "
        f"such worlds; in {rule.outside[0]} of {rule.outside[1]} elsewhere)."
    )
