"""Two checkouts' engines timed side by side (ratios on a busy machine, not absolute times).

    python benchmarks/side_by_side.py /work/main /tmp/wt-speed --scale 5000 --rounds 3

Each round runs one fresh process per checkout, in alternating order (`PYTHONPATH` set to the
checkout): a warm-up run, then `--repeats` timed runs of the baseline, each timed by wall
clock and by the process's CPU time, and its output hash. Prints the medians over all timed
runs and the ratio old / new (above 1: the second checkout is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

PROGRAM = """
import json, sys, time, sim
sc = sim.load_scenario("scenarios/baseline.yaml")
scale, repeats = float(sys.argv[1]), int(sys.argv[2])
sim.run(sc, seed=0, scale=scale)
out = []
for _ in range(repeats):
    w, c = time.perf_counter(), time.process_time()
    r = sim.run(sc, seed=0, scale=scale)
    out.append((time.perf_counter() - w, time.process_time() - c, r.output_hash()))
print(json.dumps(out))
"""


def timed(checkout: str, scale: float, repeats: int) -> list[tuple[float, float, str]]:
    env = {**os.environ, "PYTHONPATH": checkout}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(scale), str(repeats)],
        cwd=checkout, env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return [tuple(row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--scale", type=float, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs: dict[str, list[tuple[float, float, str]]] = {args.old: [], args.new: []}
    for r in range(args.rounds):
        order = [args.old, args.new] if r % 2 == 0 else [args.new, args.old]
        for checkout in order:
            runs[checkout] += timed(checkout, args.scale, args.repeats)
    wall = {k: statistics.median(w for w, _, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c, _ in v) for k, v in runs.items()}
    for k, v in runs.items():
        print(f"{k}: wall {wall[k]:.3f} s, cpu {cpu[k]:.3f} s (medians of {len(v)}), "
              f"hashes {sorted({h for _, _, h in v})}")  # fmt: skip
    print(f"ratio at 1:{args.scale:g}: wall {wall[args.old] / wall[args.new]:.3f}, "
          f"cpu {cpu[args.old] / cpu[args.new]:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
