"""Which suite apps each customer is engaged in, so that most of the suite's actives need no
per-customer entry.

The suite's de-duplicated DAU and trailing windows follow each customer's last active day in
any suite app (`SuiteBook.suite_last`): one scattered entry per active, the largest part of
the daily update at fine scales. But about two thirds of the baseline's suite actives are
engaged in one suite app only, and for them the suite's last active day is the one already
in their row of that app's engaged set. Their row is marked (`encodings.SOLO`, a bit of its
`reg` column) and their actives move the suite's histogram from the row alone; the entry is
kept for the others. What holds at every step of a run:

- a SOLO row's customer is engaged in no other suite app (`SuiteBook.engaged_in` has the
  apps' bits);
- a customer without a SOLO row has the exact suite last day in `suite_last`; with one, it
  is the later of `suite_last` and the row's last day;
- a SOLO row marked SYNCED (ALONE) has a last day no earlier than `suite_last`: its actives
  move the histogram from the row's day. A SOLO row not yet SYNCED has one no later: its
  next active goes through the entry once, which syncs it.

Rows become SOLO when their customer joins a first suite app or leaves the last but one;
they stop being SOLO (their day folded into `suite_last`) when the customer joins another
suite app or leaves this one. The compiled transitions keep this: per agent, `join_suite`
and `leave_suite` on plain arrays; the rarer changes to a row in another app (the customer
joins a second suite app, or leaves one of two) are listed and made afterwards in one pass
(`SuiteBook.settle`): a tuple of every app's arrays passed to a call per agent cost 70 ns
an agent. A row left unmarked is always valid, which is what the numpy twins do: every active
then goes through the entry, as before. A delisting rebuilds `suite_last`
(`Engine.delist`, `Recorder.forget_activity`). A run keeps one kind of kernels throughout:
numpy transitions do not keep marks the compiled ones made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.engine.compiled import AHEAD, compile_all, prefetch, trailing_zeros
from sim.model.encodings import NO_DAY, REG_MONTH, SOLO

MAX_SUITE_APPS = 8  # one bit each in a byte per customer; beyond that no row is marked
NO_BIT = np.int64(-1)
NO_LINKS = (NO_BIT, np.empty(0, np.uint8), np.empty(0, np.int16))  # an app outside any book


class SuiteBook:
    """The suite apps' bits and each customer's byte of the suite apps it is engaged in."""

    def __init__(self, apps: list[Any], n_agents: int):
        members = [a for a in apps if a.suite]
        self.apps = members if len(members) <= MAX_SUITE_APPS else []
        self.engaged_in = np.zeros(n_agents if self.apps else 0, np.uint8)
        # each customer's last active day in any suite app (read by the recorder too)
        self.suite_last = np.full(n_agents, NO_DAY, np.int16)
        self.bit = {app.id: np.int64(b) for b, app in enumerate(self.apps)}

    def links(self, app: Any) -> tuple[Any, ...]:
        """What the compiled transitions of `app` take: its bit (-1: none), the customers'
        bytes and the suite's last days."""
        if app.id not in self.bit:
            return NO_LINKS
        return self.bit[app.id], self.engaged_in, self.suite_last

    def settle(self, app: Any, agents: np.ndarray, joined: bool) -> None:
        """Agents who joined `app` while engaged in exactly one other suite app (`joined`),
        or left it for exactly one: their row in that app stops, or starts, being SOLO."""
        if len(agents) == 0:
            return
        cols = [a.engaged.cols for a in self.apps]
        _jit_settle(
            agents, self.bit[app.id], joined, self.engaged_in, self.suite_last,
            tuple(a.slot for a in self.apps), tuple(c["last"] for c in cols),
            tuple(c["reg"] for c in cols),
        )  # fmt: skip

    def retire(self, app: Any, engaged: np.ndarray) -> None:
        """The app's engaged users `engaged` are engaged in it no more (it was delisted).
        Their rows in other apps stay unmarked, which is valid; `suite_last` is rebuilt."""
        if app.id in self.bit:
            self.engaged_in[engaged] &= np.uint8(0xFF ^ (1 << int(self.bit[app.id])))


def suite_links(app: Any) -> tuple[Any, ...]:
    return app.book.links(app) if app.book is not None else NO_LINKS


def settle_partners(app: Any, agents: np.ndarray, joined: bool) -> None:
    if app.book is not None and app.id in app.book.bit:
        app.book.settle(app, agents, joined)


def _join(agent, bit, engaged_in, partners, n_partners):  # fmt: skip
    """Agent becomes engaged in suite app `bit` (-1: not a suite app); returns the flags
    of its new row (SOLO if it is engaged in no other suite app) and how many partners
    are listed: if it was engaged in exactly one other, it is listed for `settle`."""
    if bit < 0:
        return 0, n_partners
    was = np.int64(engaged_in[agent])
    engaged_in[agent] = was | (1 << bit)
    if was == 0:
        return SOLO, n_partners
    if was & (was - 1) == 0:
        partners[n_partners] = agent
        return 0, n_partners + 1
    return 0, n_partners


def _leave(agent, flags, last, bit, engaged_in, suite_last, partners, n_partners):  # fmt: skip
    """Agent leaves suite app `bit` (-1: not a suite app), its row there having `flags`
    and last active day `last`: a SOLO row's day is folded into the customer's entry; if
    one suite app is left, the agent is listed for `settle`. Returns how many are listed."""
    if bit < 0:
        return n_partners
    left = np.int64(engaged_in[agent]) & ~(1 << bit)
    engaged_in[agent] = left
    if flags & SOLO:
        suite_last[agent] = max(suite_last[agent], last)
    elif left != 0 and left & (left - 1) == 0:
        partners[n_partners] = agent
        n_partners += 1
    return n_partners


def _ahead(agent, bit, engaged_in):  # fmt: skip
    """Prefetch the byte `join_suite` or `leave_suite` will read for an agent a few ahead
    (`leave_suite` reads its suite entry too, for SOLO rows: prefetched by the caller)."""
    if bit >= 0:
        prefetch(engaged_in, agent)


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
            prefetch(slots[_jit_other(soon, own, engaged_in)], soon)
        if j + AHEAD // 4 < n:
            soon = agents[j + AHEAD // 4]
            other = _jit_other(soon, own, engaged_in)
            row = slots[other][soon]
            prefetch(lasts[other], row)
            prefetch(regs[other], row)
        agent = agents[j]
        other = _jit_other(agent, own, engaged_in)
        if other >= len(slots):  # a listed agent is in exactly one other: never here
            raise RuntimeError("suite book: a partner without its other app")
        row = slots[other][agent]
        if joined:
            suite_last[agent] = max(suite_last[agent], lasts[other][row])
            regs[other][row] &= REG_MONTH
        else:
            regs[other][row] |= SOLO


def _other(agent, own, engaged_in):  # fmt: skip
    """The one suite app but `own` that the agent is engaged in (its byte has that bit and
    maybe `own`'s)."""
    return np.int64(trailing_zeros(np.uint64(np.int64(engaged_in[agent]) & ~(1 << own))))


join_suite, leave_suite, ahead_suite, _jit_settle, _jit_other = compile_all(
    _join, _leave, _ahead, _settle, _other
)
