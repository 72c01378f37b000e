"""`appsim calibrate FILE --targets T --posterior PRIOR`: ABC-SMC to plausible worlds."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.errors import EXIT_FAIL, EXIT_OK
from sim.report.folders import check_writable
from sim.report.out_names import output_folder
from sim.results.words import counted


def execute(args: argparse.Namespace) -> int:
    from sim.experiments import posterior as post
    from sim.experiments.prior import load_prior
    from sim.experiments.targets import load_targets
    from sim.report.posterior_report import write_posterior_report
    from sim.scenario.load import load_scenario
    from sim.scenario.yamlio import load_tree

    scenario = load_scenario(args.scenario)
    targets = load_targets(args.targets, scenario)
    prior = load_prior(args.posterior, args.scenario)
    tree, _ = load_tree(args.scenario)
    out = output_folder(args.out, Path("reports") / f"{scenario.name}-posterior")
    if not (out / post.DB_NAME).exists():
        check_writable(out)
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"ABC-SMC for {scenario.name}: {counted(len(prior.parameters), 'free parameter')}, "
        f"{counted(prior.population, 'particle')} a generation, at most "
        f"{counted(prior.generations, 'generation')} "
        f"and {prior.budget:,} simulations at 1:{prior.scale:g}, seed {args.seed}; "
        f"history in {out / post.DB_NAME}",
        file=sys.stderr,
    )
    model = post.world_model(tree, prior, targets, args.seed)
    abc = post.build_abc(model, prior, targets, max(1, args.workers), args.scheduler, args.seed)
    history = post.run_posterior(abc, out, prior, targets, args.seed)
    generations = post.generations_table(history)
    notes = post.warnings_of(generations, prior)
    write_posterior_report(history, prior, targets, generations, notes, out, scenario)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    print(
        f"posterior of {counted(len(prior.parameters), 'parameter')} -> {out / 'posterior.parquet'}"
    )
    if notes and notes[0].startswith("model misfit"):
        fit = post.predictive_table(history, targets)
        missed = fit.loc[(fit["q50"] < fit["low"]) | (fit["q50"] > fit["high"]), "target"]
        if len(missed):  # the targets that even the closest worlds' median misses
            missing = f"{counted(len(missed), 'target')}: {', '.join(missed)}"
            print(f"the closest worlds miss {missing}")
        return EXIT_FAIL
    return EXIT_OK
