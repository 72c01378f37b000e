"""Benchmarks of appsim (not tests): wall time, peak memory, throughput, engine speed ratio.

    python benchmarks/run.py baseline --scales 1000 100 --repeats 3
    python benchmarks/run.py reference --scales 50 10 --repeats 3
    python benchmarks/run.py kernels --scale 300 --repeats 3
    python benchmarks/run.py profile --scale 100
    python benchmarks/run.py profile --scale 10

Each baseline run is a separate process under /usr/bin/time -v (peak RSS), which also times
its daily update (every engaged user's activity draw and its recording, `Recorder.activity`)
and reports the memory estimate it ran under; the fast and the reference engine are timed
side by side in one process. Results are printed as markdown,
to be pasted into benchmarks/RESULTS.md with the machine and the command.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import platform
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"

ONE_RUN = """
import json, sys, time, sim
from sim.engine import recorder as metrics
update = [0.0]  # seconds in the daily update: every engaged user's activity draw, recorded
activity = metrics.Recorder.activity
def timed(*args):
    t = time.perf_counter()
    out = activity(*args)
    update[0] += time.perf_counter() - t
    return out
metrics.Recorder.activity = timed
sc = sim.load_scenario(sys.argv[1])
t = time.perf_counter()
r = sim.run(sc, seed=0, scale=float(sys.argv[2]))
wall = time.perf_counter() - t
apps = list(sc.apps)
d = r.daily[r.daily["app"].isin(apps)]
june = r.daily[(r.daily["date"] >= "2019-06-01") & (r.daily["date"] <= "2019-06-30")]
head = {f"{a} {m}": float(june[june["app"] == a][m].mean()) for m, a in HEADLINES}
print(json.dumps({"wall": wall, "update": update[0], "agents": r.info["agents"],
                  "estimate": r.info["memory_estimate_bytes"],
                  "engaged_agent_days": float(d["engaged"].sum() / r.scale),
                  "active_agent_days": float(d["dau"].sum() / r.scale), "headlines": head}))
"""
# June 2019 means of the article's headline figures, to compare scales
HEADLINES = [
    ("registered", "suite"),
    ("mau", "suite_sum"),
    ("mau", "suite"),
    ("dau", "rongexing"),
    ("mau", "rongelian"),
    ("registered", "elife"),
]


def baseline(scales: list[float], repeats: int) -> None:
    print(
        f"| scale | agents | wall s (median of {repeats}) | peak RSS GiB | estimate GiB | "
        "engaged agent-app-days | per second | daily update s | per second | "
        "active agent-app-days |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    heads = {}
    program = ONE_RUN.replace("HEADLINES", repr(HEADLINES), 1)
    # an untimed run first: in a fresh clone it compiles the kernels (and peaks higher doing
    # so), so that every timed run loads them from the cache
    subprocess.run([sys.executable, "-c", program, str(BASELINE), "3000"], capture_output=True)
    for scale in scales:
        walls, updates, peaks, info = [], [], [], {}
        for _ in range(repeats):
            done = subprocess.run(
                ["/usr/bin/time", "-v", sys.executable, "-c", program, str(BASELINE), str(scale)],
                capture_output=True,
                text=True,
            )
            info = json.loads(done.stdout.strip().splitlines()[-1])
            walls.append(info["wall"])
            updates.append(info["update"])
            peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
            peaks.append(int(peak.group(1)) / 2**20 if peak else float("nan"))
        wall, update = statistics.median(walls), statistics.median(updates)
        heads[scale] = info["headlines"]
        days = info["engaged_agent_days"]
        print(
            f"| 1:{scale:g} | {info['agents']:,} | {wall:.1f} | {max(peaks):.2f} | "
            f"{info['estimate'] / 2**30:.2f} | {days / 1e9:.2f} G | {days / wall / 1e6:.0f} M | "
            f"{update:.1f} | {days / update / 1e6:.0f} M | "
            f"{info['active_agent_days'] / 1e9:.2f} G |"
        )
    _scale_table(heads)


def _scale_table(heads: dict[float, dict[str, float]]) -> None:
    """Headline figures at each scale, and their gap to the finest scale's."""
    finest = min(heads)
    print("\n| June 2019 mean | " + " | ".join(f"1:{s:g}" for s in heads) + " | largest gap |")
    print("|---|" + "---|" * (len(heads) + 1))
    for name, value in heads[finest].items():
        gaps = [abs(h[name] / value - 1) for h in heads.values()]
        cells = " | ".join(f"{h[name] / 1e6:.1f} M" for h in heads.values())
        print(f"| {name} | {cells} | {max(gaps):.1%} |")


def reference(scales: list[float], repeats: int) -> None:
    from ruamel.yaml import YAML

    import sim
    from sim.engine.reference import run_reference
    from sim.scenario.load import scenario_from_dict

    tree = YAML(typ="safe").load((ROOT / "tests" / "scenarios" / "tiny.yaml").read_text())
    tree = copy.deepcopy(tree)
    tree["horizon"]["end"] = "2020-06-30"
    scenario = scenario_from_dict(tree)
    sim.run(scenario, seed=0, scale=50)  # load the compiled kernels before timing
    print(f"tiny world to 2020-06-30 (182 days), medians of {repeats} runs, side by side")
    print("| scale | agents | fast s | reference s | ratio |")
    print("|---|---|---|---|---|")
    for scale in scales:
        fast, ref, agents = [], [], 0
        for seed in range(repeats):
            gc.collect()  # neither engine pays for collecting the other's garbage
            t = time.perf_counter()
            agents = sim.run(scenario, seed=seed, scale=scale).info["agents"]
            fast.append(time.perf_counter() - t)
            gc.collect()
            t = time.perf_counter()
            run_reference(scenario, seed=seed, scale=scale)
            ref.append(time.perf_counter() - t)
        f, r = statistics.median(fast), statistics.median(ref)
        print(f"| 1:{scale:g} | {agents:,} | {f:.2f} | {r:.2f} | {r / f:.0f}x |")


def kernels(scale: float, repeats: int) -> None:
    """The baseline with the compiled activity step and with its numpy twin, alternating;
    the time inside the step is summed apart from the whole run's."""
    import sim
    import sim.engine.compiled
    import sim.engine.recorder

    scenario = sim.load_scenario(BASELINE)
    sim.run(scenario, seed=0, scale=scale * 10)  # compile (or load) the kernels first
    step, inside = sim.engine.recorder.activity_step, [0.0]

    def timed_step(*args):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = step(*args)
        inside[0] += time.perf_counter() - t
        return out

    sim.engine.recorder.activity_step = timed_step  # type: ignore[assignment]
    runs: dict[str, list[float]] = {"numba": [], "numpy": []}
    steps: dict[str, list[float]] = {"numba": [], "numpy": []}
    hashes = set()
    for _ in range(repeats):
        for kind in runs:
            sim.engine.compiled.NUMPY_ONLY = kind == "numpy"
            inside[0] = 0.0
            t = time.perf_counter()
            hashes.add(sim.run(scenario, seed=0, scale=scale).output_hash())
            runs[kind].append(time.perf_counter() - t)
            steps[kind].append(inside[0])
    print(f"baseline at 1:{scale:g}, medians of {repeats}, alternating in one process:")
    for label, table in (("whole run", runs), ("activity step", steps)):
        compiled, plain = (statistics.median(table[k]) for k in ("numba", "numpy"))
        print(f"{label}: compiled {compiled:.1f} s, numpy {plain:.1f} s: {plain / compiled:.2f}x")
    print(f"identical results: {len(hashes) == 1}")


def profile(scale: float) -> None:
    """cProfile of one run, then a run without it timing the engine's parts: each daily
    mechanism, the levers, the set-up, the compiled activity step's parts and the event
    draws (the step's Python body calling its compiled parts, each timed)."""
    import sim
    from sim.engine import fast as engine
    from sim.engine import recorder as metrics
    from sim.engine import transitions as tr
    from sim.engine.kernels import activity as k

    scenario = sim.load_scenario(BASELINE)
    sim.run(scenario, seed=0, scale=scale * 10)  # compile (or load) the kernels first
    profiler = cProfile.Profile()
    profiler.enable()
    sim.run(scenario, seed=0, scale=scale)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    spent: dict[str, float] = {}
    for name in ("__init__", "_lapse_and_return", "_adopt", "_activity", "_referrals"):
        _time_method(engine.Engine, name, spent, f"engine {name.strip('_')}")
    for name in ("launch", "inflow", "delist"):
        _time_method(engine.Engine, name, spent, f"lever {name}")
    _time_method(metrics.Recorder, "close_day", spent, "closing days")
    for part in ("select", "record_members", "mask", "suite"):
        _time_method(k, part, spent, f"  activity: {part}")
    k.loop = k._loop  # the step's body as Python, calling its compiled (timed) parts
    for name in ("draw_propensity", "lapse_days", "lapse_due", "reactivate"):
        _time_method(tr, name, spent, f"  events: {name}")
    _time_method(engine, "build_population", spent, "  set-up: population")
    t = time.perf_counter()
    sim.run(scenario, seed=0, scale=scale)
    print(f"run without the profiler: {time.perf_counter() - t:.1f} s; its parts (indented:")
    print("parts of the line above; levers run outside the days' mechanisms):")
    for part, seconds in spent.items():
        print(f"{part}: {seconds:.1f} s")


def _time_method(owner, name, spent, label):  # type: ignore[no-untyped-def]
    """Replace owner.name by a wrapper adding its wall time to spent[label]."""
    function = getattr(owner, name)
    spent[label] = 0.0

    def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        out = function(*args, **kwargs)
        spent[label] += time.perf_counter() - t
        return out

    setattr(owner, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("baseline")
    b.add_argument("--scales", type=float, nargs="+", default=[1000, 100])
    b.add_argument("--repeats", type=int, default=3)
    r = sub.add_parser("reference")
    r.add_argument("--scales", type=float, nargs="+", default=[50, 10])
    r.add_argument("--repeats", type=int, default=3)
    k = sub.add_parser("kernels")
    k.add_argument("--scale", type=float, default=300)
    k.add_argument("--repeats", type=int, default=3)
    p = sub.add_parser("profile")
    p.add_argument("--scale", type=float, default=1000)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {platform.python_version()}, "
        f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores"
    )
    if args.what == "baseline":
        baseline(args.scales, args.repeats)
    elif args.what == "reference":
        reference(args.scales, args.repeats)
    elif args.what == "kernels":
        kernels(args.scale, args.repeats)
    else:
        profile(args.scale)


if __name__ == "__main__":
    main()
