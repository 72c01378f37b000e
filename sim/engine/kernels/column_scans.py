"""The compiled loops of `sim.engine.column_scans`."""

from __future__ import annotations

import numpy as np

from sim.engine.compiled import compile_all, trailing_zeros

BLOCK = 4096  # members the activity step selects per block


def _read_masks(masks, first, positions, n):  # fmt: skip
    """Append the positions of the set bits (member `first` is bit 0 of masks[0])."""
    for g in range(len(masks)):
        mask = masks[g]
        while mask:
            positions[n] = first + 64 * g + np.int64(trailing_zeros(mask))
            n += 1
            mask &= mask - np.uint64(1)
    return n


def _count_masks(mask, counts):  # fmt: skip
    for value in mask:
        counts[value] += 1


def _count_state_masks(states, low, span, counts):  # fmt: skip
    for agent in range(len(states[0])):
        mask = 0
        for app in range(len(states)):
            if np.uint8(states[app][agent] - low) <= span:
                mask |= 1 << app
        counts[mask] += 1


def _positions_of(values, value, positions):  # fmt: skip
    masks = np.empty(BLOCK // 64, np.uint64)
    whole = len(values) // 64 * 64
    n = 0
    for lo in range(0, whole, BLOCK):
        hi = min(lo + BLOCK, whole)
        equal_masks(values[lo:hi], value, masks)
        n = read_masks(masks[: (hi - lo) // 64], lo, positions, n)
    for i in range(whole, len(values)):
        positions[n] = i
        n += values[i] == value
    return n


def _equal_masks(values, value, masks):  # fmt: skip
    """Bit b of masks[g]: values[64 g + b] == value."""
    for g in range(len(values) // 64):
        mask = np.uint64(0)
        for b in range(64):
            mask |= np.uint64(values[64 * g + b] == value) << np.uint64(b)
        masks[g] = mask


(read_masks, count_masks, count_state_masks, positions_of, equal_masks,) = compile_all(
    _read_masks, _count_masks, _count_state_masks, _positions_of, _equal_masks
)  # fmt: skip
