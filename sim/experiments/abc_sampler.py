"""A pyabc sampler whose generations are reproducible from one seed, on any number of workers.

pyabc draws every proposal (from the prior, or by perturbing the last generation) from
numpy's global random state, inside the function it hands a sampler, and its parallel
samplers reseed each worker from the operating system: a calibration could not be repeated.
Here every evaluation `i` of generation `t` first seeds the global state of the process
that runs it from (seed, t, i), then proposes, simulates and scores one particle. Batches
are sized from what the generation has accepted so far, never from the number of workers,
and a generation keeps its first `n` accepted evaluations in index order: the same seed
gives the same particles with 1 worker, 8 or a Dask cluster, and a calibration resumed after
kill -9 continues as the uninterrupted one would have.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pyabc.sampler import Sampler

MIN_BATCH = 4  # evaluations in a batch at least (a fixed number: results must not depend on
# the worker count)
MAX_BATCH = 2000  # a batch's evaluations at most, whatever the acceptance rate


def evaluation_seed(seed: int, t: int, index: int) -> int:
    """The global-RNG seed of evaluation `index` of generation `t` (t is -1 for pyabc's
    calibration sample): a hash, so that neighbouring seeds give unrelated streams."""
    digest = hashlib.sha256(f"{seed}:{t}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


_LOADED: dict[bytes, Any] = {}  # the last generation's function, by its pickle's digest


def evaluate(job: tuple[bytes, int]) -> Any:
    """One proposal, simulation and acceptance, after seeding this process's global RNGs."""
    payload, seed = job
    simulate_one = _loaded(payload)
    np.random.seed(seed)
    random.seed(seed)
    return simulate_one()


def _loaded(payload: bytes) -> Any:
    """The function pickled in `payload`, unpickled once per process and generation (as
    pyabc's own samplers do: it keeps no state between calls, and unpickling it takes
    milliseconds, as long as a toy model's evaluation)."""
    import cloudpickle

    key = hashlib.sha256(payload).digest()
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = cloudpickle.loads(payload)
    return _LOADED[key]


def next_batch(n_left: int, accepted: int, evaluated: int, max_left: float) -> int:
    """How many evaluations to start next: enough to fill the generation at the acceptance
    rate seen so far in it (all of them accepted, before any result)."""
    rate = accepted / evaluated if evaluated else 1.0
    wanted = math.ceil(n_left / max(rate, 1.0 / MAX_BATCH))
    return int(max(1, min(max(wanted, MIN_BATCH), MAX_BATCH, max_left)))


class SeededSampler(Sampler):
    """Evaluations seeded from (seed, generation, index), run in-process, on local worker
    processes or on a Dask cluster (`client`), accepted in index order."""

    def __init__(self, seed: int, workers: int = 1, client: Any = None) -> None:
        super().__init__()
        self.seed = int(seed)
        self.workers = workers
        self.client = client

    def sample_until_n_accepted(
        self,
        n: int,
        simulate_one: Callable[[], Any],
        t: int,
        *,
        max_eval: float = np.inf,
        all_accepted: bool = False,  # every batch is sized as if not
        ana_vars: Any = None,
    ) -> Any:
        import cloudpickle

        payload = cloudpickle.dumps(simulate_one)
        sample = self._create_empty_sample()
        evaluated = accepted = 0
        while accepted < n and evaluated < max_eval:
            size = next_batch(n - accepted, accepted, evaluated, max_eval - evaluated)
            jobs = [(payload, evaluation_seed(self.seed, t, evaluated + i)) for i in range(size)]
            for particle in self._map(jobs):
                evaluated += 1
                if accepted < n:  # results past the n-th acceptance ran, but are not kept
                    sample.append(particle)
                    accepted += int(particle.accepted)
        self.nr_evaluations_ = evaluated
        if accepted < n:
            sample.ok = False
        return sample

    def _map(self, jobs: Sequence[tuple[bytes, int]]) -> list[Any]:
        from sim.experiments.executor import collect

        if self.client is not None:
            return collect(self.client.map(evaluate, jobs, pure=False), jobs, None, None)
        if self.workers <= 1 or len(jobs) <= 1:
            return [evaluate(job) for job in jobs]
        from sim.experiments.workers import worker_pool

        with worker_pool(min(self.workers, len(jobs))) as pool:
            return collect([pool.submit(evaluate, job) for job in jobs], jobs, None, None)
