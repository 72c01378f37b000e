"""The compiled loops of `sim.engine.suite_book`: a customer joining or leaving a suite app's
engaged set keeps its byte of suite apps and its SOLO marks (the rules are the book's)."""

from __future__ import annotations

import numpy as np

from sim.engine.compiled import AHEAD, compile_all, prefetch, trailing_zeros
from sim.model.encodings import REG_MONTH, SOLO


def _join_suite(agent, links, partners, n_partners):  # fmt: skip
    """Agent becomes engaged in suite app `links.bit` (-1: not a suite app); returns the
    flags of its new row (SOLO if it is engaged in no other suite app) and how many
    partners are listed: if it was engaged in exactly one other, it is listed for `settle`."""
    bit = links.bit
    if bit < 0:
        return 0, n_partners
    was = np.int64(links.engaged_in[agent])
    links.engaged_in[agent] = was | (1 << bit)
    if was == 0:
        return SOLO, n_partners
    if was & (was - 1) == 0:
        partners[n_partners] = agent
        return 0, n_partners + 1
    return 0, n_partners


def _leave_suite(agent, flags, last, links, partners, n_partners):  # fmt: skip
    """Agent leaves suite app `links.bit` (-1: not a suite app), its row there having `flags`
    and last active day `last`: a SOLO row's day is folded into the customer's entry; if
    one suite app is left, the agent is listed for `settle`. Returns how many are listed."""
    bit = links.bit
    if bit < 0:
        return n_partners
    left = np.int64(links.engaged_in[agent]) & ~(1 << bit)
    links.engaged_in[agent] = left
    if flags & SOLO:
        links.suite_last[agent] = max(links.suite_last[agent], last)
    elif left != 0 and left & (left - 1) == 0:
        partners[n_partners] = agent
        n_partners += 1
    return n_partners


def _ahead_suite(agent, links):  # fmt: skip
    """Prefetch the byte `join_suite` or `leave_suite` will read for an agent a few ahead
    (`leave_suite` reads its suite entry too, for SOLO rows: prefetched by the caller)."""
    if links.bit >= 0:
        prefetch(links.engaged_in, agent)


def _settle(agents, own, joined, engaged_in, suite_last, slots, lasts, regs):  # fmt: skip
    """`SuiteBook.settle`, compiled: one pass over the listed agents (few: a sixth of the
    transitions), each one's other app found from its byte, then its row there from the
    app's slots; the byte, the slot and the row prefetched in turn, a few agents ahead."""
    n = len(agents)
    for j in range(n):
        if j + AHEAD < n:
            prefetch(engaged_in, agents[j + AHEAD])
        if j + AHEAD // 2 < n:
            soon = agents[j + AHEAD // 2]
            prefetch(slots[other_app(soon, own, engaged_in)], soon)
        if j + AHEAD // 4 < n:
            soon = agents[j + AHEAD // 4]
            other = other_app(soon, own, engaged_in)
            row = slots[other][soon]
            prefetch(lasts[other], row)
            prefetch(regs[other], row)
        agent = agents[j]
        other = other_app(agent, own, engaged_in)
        if other >= len(slots):  # a listed agent is in exactly one other: never here
            raise RuntimeError("suite book: a partner without its other app")
        row = slots[other][agent]
        if joined:
            suite_last[agent] = max(suite_last[agent], lasts[other][row])
            regs[other][row] &= REG_MONTH
        else:
            regs[other][row] |= SOLO


def _other_app(agent, own, engaged_in):  # fmt: skip
    """The one suite app but `own` that the agent is engaged in (its byte has that bit and
    maybe `own`'s)."""
    return np.int64(trailing_zeros(np.uint64(np.int64(engaged_in[agent]) & ~(1 << own))))


join_suite, leave_suite, ahead_suite, settle, other_app = compile_all(
    _join_suite, _leave_suite, _ahead_suite, _settle, _other_app
)
