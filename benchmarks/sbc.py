"""Simulation-based calibration of `appsim calibrate --posterior` on the engine (not a test).

    python benchmarks/sbc.py --reps 10 --population 20 --generations 4 --scale 2000

Each repetition draws true parameters from a prior over the tiny world
(tests/scenarios/tiny.yaml), simulates them once, makes interval targets of the figures
(value / (1 + tol) .. value x (1 + tol), as series targets are), calibrates with the same
ABC-SMC as `appsim calibrate --posterior` (sim/experiments/sbc.py), and checks whether each
parameter's posterior 90% interval holds the truth. Prints a markdown table for
benchmarks/RESULTS.md and writes every interval to --out as CSV.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments import posterior as post  # noqa: E402
from sim.experiments import sbc  # noqa: E402
from sim.experiments.prior import Prior  # noqa: E402
from sim.experiments.targets import TargetSet  # noqa: E402
from sim.scenario.yamlio import load_tree  # noqa: E402

TINY = ROOT / "tests" / "scenarios" / "tiny.yaml"
PARAMETERS = {
    "apps.bank.engagement.activity_mean": {"dist": "uniform", "low": 0.05, "high": 0.5},
    "apps.bank.adoption.q_per_year": {"dist": "loguniform", "low": 0.2, "high": 3.0},
}
# what the synthetic targets read (the figures a bank would publish)
WHERE = [
    ("dau", "bank", "2020-12-31"),
    ("registered", "bank", "2020-06-30"),
    ("mau", "bank", "2020-09-30"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--population", type=int, default=20)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--scale", type=float, default=2000.0)
    ap.add_argument("--tol", type=float, default=0.2, help="the targets' relative tolerance")
    ap.add_argument("--out", type=Path, default=Path("sbc-intervals.csv"))
    args = ap.parse_args()
    logging.getLogger("ABC").setLevel(logging.WARNING)
    prior = Prior.model_validate(
        {
            "scale": args.scale,
            "population": args.population,
            "generations": args.generations,
            "budget": 100_000,
            "parameters": {p: {**d, "source": "benchmark"} for p, d in PARAMETERS.items()},
        }
    )
    like = TargetSet.model_validate(
        {
            "targets": {
                f"{a}.{m}.{d}": {"metric": m, "app": a, "date": d, "relation": ">=", "value": 1}
                for m, a, d in WHERE
            }
        }
    )
    tree, _ = load_tree(TINY)

    def engine(targets: TargetSet, seed: int) -> post.WorldModel:
        return post.world_model(tree, prior, targets, seed)

    started = time.perf_counter()

    def report(rows: object) -> None:
        print(rows.to_string(), file=sys.stderr)  # type: ignore[attr-defined]

    rows = sbc.run_sbc(engine, prior, like, args.tol, args.reps, on_done=report)
    wall = time.perf_counter() - started
    rows.to_csv(args.out, index=False)
    result = sbc.summary(rows)
    print("| measure | value |\n|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value:.3g} |")
    print(f"| wall seconds | {wall:.0f} |")


if __name__ == "__main__":
    main()
