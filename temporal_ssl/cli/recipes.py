"""Reproduce a paper: list the packaged recipes, or run one end to end.

    tssl recipes list                      # one line per recipe: paper, encoder, published numbers
    tssl recipes list --json               # one JSON object per line: name, paper, published, commands ...
    tssl recipes show vcop_ucf101_r3d      # the recipe file: settings, sources, caveats
    tssl recipes run vcop_ucf101_r3d --datasets datasets.yaml --output-dir runs/vcop_r3d
    tssl recipes run vcop_ucf101_r3d --datasets datasets.yaml --output-dir /tmp/try --smoke

``run`` pretrains with the paper's setting, runs each downstream protocol into a subfolder of the output
folder and writes ``results.json`` there, each metric beside its published value. ``--smoke`` keeps the
encoder, frames and resolution and shrinks steps, videos, views and batches, to check a setup in minutes.

The dataset catalog (``--datasets``, else ``$TSSL_DATASETS``, else ``~/.config/temporal_ssl/datasets.yaml``)
maps dataset names to ``format``, ``root`` and ``annotations``; see docs/recipes.md.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

from temporal_ssl.cli.failure import report_failure
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.recipes import (
    SmokeSize,
    find_catalog,
    load_catalog,
    load_recipe,
    recipe_names,
    recipe_summary,
    run_recipe,
)
from temporal_ssl.recipes.recipe import recipe_file
from temporal_ssl.recipes.run import DATA_REPORT_FILE


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tssl recipes", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="the packaged recipes")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    show = commands.add_parser("show", help="print a recipe file")
    show.add_argument("name")
    run = commands.add_parser("run", help="pretrain and evaluate a recipe, write results.json")
    run.add_argument("name")
    run.add_argument("--datasets", metavar="CATALOG", help="dataset catalog YAML (default: $TSSL_DATASETS, "
                     "then ~/.config/temporal_ssl/datasets.yaml)")
    run.add_argument("--output-dir", required=True, type=Path, help="where the runs and results.json go")
    run.add_argument("--smoke", action="store_true",
                     help="a few steps on a few videos with one view (same encoder, frames and resolution)")
    run.add_argument("--smoke-videos", type=int, default=SmokeSize.eval_videos, metavar="N",
                     help=f"with --smoke: videos per evaluation split (default {SmokeSize.eval_videos})")
    return parser.parse_args(argv)


def list_recipes(as_json: bool) -> None:
    """Print every recipe (a line of text, or a JSON object, each)."""
    for name in recipe_names():
        summary = recipe_summary(load_recipe(name))
        if as_json:
            print(json.dumps(summary))
            continue
        published = ", ".join(f"{k} {v}" for k, v in summary["published"].items()) or "no comparable number"
        print(f"{name}: {summary['encoder']}; {summary['paper'].split('. ')[0]}; published: {published}")


def result_lines(document: dict[str, Any]) -> list[str]:
    """One line per reported number of a recipe run: measured beside published, in percent."""
    lines = []
    for row in (r for r in document["results"] if r["subject"] == "pretrained"):
        scores = row["metrics"]
        retrieval = "recall_at_k" in scores
        values = {f"recall_at_{k}": v for k, v in scores["recall_at_k"].items()} if retrieval else scores
        if not row["published"]:
            name = "recall_at_1" if retrieval else "video_top1"
            lines.append(f"{row['step']} {name}: {percent(values[name])} (a proxy: no comparable published "
                         "number)")
        for name, published in row["published"].items():
            lines.append(f"{row['step']} {name}: {percent(values.get(name))} (published "
                         f"{percent(published['value'])}, {published['tag']})")
    return lines


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "list":
            list_recipes(args.json)
            return 0
        recipe = load_recipe(args.name)
        if args.command == "show":
            print(recipe_file(recipe.name).read_text())
            return 0
        catalog_path = find_catalog(args.datasets)
        smoke = SmokeSize(eval_videos=args.smoke_videos) if args.smoke else None
        run = run_recipe(recipe, load_catalog(catalog_path), args.output_dir, smoke=smoke)
    except TemporalSSLError as error:
        return report_failure(error)
    for line in result_lines(run.document):
        print(line)
    print(f"results: {run.results_file}\ndata report: {run.output_dir / DATA_REPORT_FILE}")
    return 0
