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
and `leave_suite` (`sim.engine.kernels.suite_book`); the rarer changes to a row in another
app (the customer joins a second suite app, or leaves one of two) are listed and made
afterwards in one pass (`SuiteBook.settle`): a tuple of every app's arrays passed to a call
per agent cost 70 ns an agent. A row left unmarked is always valid, which is what the numpy
twins do: every active then goes through the entry, as before. A delisting rebuilds `suite_last`
(`Engine.delist`, `Recorder.forget_activity`). A run keeps one kind of kernels throughout:
numpy transitions do not keep marks the compiled ones made.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.engine.kernels import suite_book as kernels
from sim.engine.kernels.records import Links
from sim.model.encodings import NO_DAY

MAX_SUITE_APPS = 8  # one bit each in a byte per customer; beyond that no row is marked
NO_BIT = np.int64(-1)
NO_LINKS = Links(NO_BIT, np.empty(0, np.uint8), np.empty(0, np.int16))  # an app outside any book


class SuiteBook:
    """The suite apps' bits and each customer's byte of the suite apps it is engaged in."""

    def __init__(self, apps: list[Any], n_agents: int):
        members = [a for a in apps if a.suite]
        self.apps = members if len(members) <= MAX_SUITE_APPS else []
        self.engaged_in = np.zeros(n_agents if self.apps else 0, np.uint8)
        # each customer's last active day in any suite app (read by the recorder too)
        self.suite_last = np.full(n_agents, NO_DAY, np.int16)
        self.bit = {app.id: np.int64(b) for b, app in enumerate(self.apps)}

    def links(self, app: Any) -> Links:
        """What the compiled transitions of `app` take: its bit (-1: none), the customers'
        bytes and the suite's last days."""
        if app.id not in self.bit:
            return NO_LINKS
        return Links(self.bit[app.id], self.engaged_in, self.suite_last)

    def settle(self, app: Any, agents: np.ndarray, joined: bool) -> None:
        """Agents who joined `app` while engaged in exactly one other suite app (`joined`),
        or left it for exactly one: their row in that app stops, or starts, being SOLO."""
        if len(agents) == 0:
            return
        cols = [a.engaged.cols for a in self.apps]
        kernels.settle(
            agents, self.bit[app.id], joined, self.engaged_in, self.suite_last,
            tuple(a.slot for a in self.apps), tuple(c["last"] for c in cols),
            tuple(c["reg"] for c in cols),
        )  # fmt: skip

    def retire(self, app: Any, engaged: np.ndarray) -> None:
        """The app's engaged users `engaged` are engaged in it no more (it was delisted).
        Their rows in other apps stay unmarked, which is valid; `suite_last` is rebuilt."""
        if app.id in self.bit:
            self.engaged_in[engaged] &= np.uint8(0xFF ^ (1 << int(self.bit[app.id])))


def suite_links(app: Any) -> Links:
    return app.book.links(app) if app.book is not None else NO_LINKS


def settle_partners(app: Any, agents: np.ndarray, joined: bool) -> None:
    if app.book is not None and app.id in app.book.bit:
        app.book.settle(app, agents, joined)
