"""Benchmark every pretext family under one protocol: pretrain, then linear-probe against the baselines.

Each family's config (configs/pretrain/<name>.yaml) is pretrained on the embedded synthetic corpus with each
seed, then probed on the labelled test videos beside a randomly initialised encoder and one trained with
labels from scratch (the main job's comparison, ``temporal_ssl.eval.pretrain_and_evaluate``). Prints and
writes the table of docs/benchmarks.md: mean and per-seed top-1, the margin over random init, the pretext's
own final accuracy and each run's time (pretraining, from the run's metrics log, plus evaluation). Results are
written after every run; run the same command again and finished pretraining runs are reused (only their
evaluation is repeated). ``data.root=DIR`` puts the corpus in ``DIR`` (generated there once).

    python -m benchmarks.pretexts                                 # every family, seeds 0 1 2
    python -m benchmarks.pretexts --families default cvrl --seeds 0 --max-steps 300
    python -m benchmarks.pretexts --out runs/benchmark_pretexts --json pretexts.json
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from temporal_ssl.engine.metrics_log import read_metrics
from temporal_ssl.engine.pretrain_config import load_pretrain_config
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.eval.pretrain_and_evaluate import pretrain_and_evaluate

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "pretrain"
FAMILIES = {
    "default": "order: VCOP clip order, clips joined in time (the main job)",
    "opn": "order: OPN frame order",
    "shuffle_and_learn": "order: Shuffle & Learn",
    "time_contrastive": "adjacent: time-contrastive",
    "multiview_tcn": "multi-view: multi-camera TCN",
    "cvrl": "multi-view: CVRL temporal views",
    "rho_clips": "multi-view: rho-clips",
    "tracking": "tracking: patch tracks",
    "vcop": "order: VCOP clip order, pairwise head",
    "arrow_of_time": "order: arrow of time",
}
DEFAULT_FAMILIES = [name for name in FAMILIES if name not in ("vcop", "arrow_of_time")]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="+", default=DEFAULT_FAMILIES, choices=list(FAMILIES),
                        metavar="NAME", help=f"configs to run, from {', '.join(FAMILIES)} (default: one per "
                                             "family named in the issue, all but vcop and arrow_of_time)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-steps", type=int, default=None, help="override every config's train.max_steps")
    parser.add_argument("--supervised-steps", type=int, default=300)
    parser.add_argument("--out", type=Path, default=Path("runs/benchmark_pretexts"), help="run folders")
    parser.add_argument("--json", type=Path, default=None, help="results file (default: OUT/results.json)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="overrides for every config")
    return parser.parse_intermixed_args(argv)


def run_one(family: str, seed: int, args: argparse.Namespace) -> dict[str, Any]:
    """Pretrain and compare one family with one seed; the row of the results file."""
    overrides = [*args.overrides, f"train.seed={seed}",
                 f"train.output_dir={json.dumps(str(args.out / family / f'seed{seed}'))}"]
    if args.max_steps is not None:
        overrides.append(f"train.max_steps={args.max_steps}")
    config = load_pretrain_config(CONFIGS / f"{family}.yaml", overrides)
    started = time.perf_counter()
    result = pretrain_and_evaluate(config, resume="auto",
                                   eval_overrides=[f"finetune.max_steps={args.supervised_steps}"])
    assert result.pretraining is not None
    top1 = {row.subject: row.metrics.top1 for row in result.results if row.protocol == "linear_probe"}
    run_seconds = pretraining_seconds(Path(result.pretraining.run_dir)) + result.seconds["evaluate"]
    return {"family": family, "seed": seed, "encoder": config.model.encoder, "top1": top1,
            "margin_over_random": result.margin_over_random("linear_probe"),
            "pretext_accuracy": result.pretraining.pretext_accuracy, "report": str(result.output_dir),
            "wall_seconds": time.perf_counter() - started, "run_seconds": run_seconds}


def pretraining_seconds(run_dir: Path) -> float:
    """Training time of a run from its metrics log (also right when this call reused the finished run)."""
    history = read_metrics(run_dir / "metrics.jsonl")
    return max((row.get("elapsed_seconds", 0.0) for row in history), default=0.0)


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: one line per family, means over seeds, per-seed figures in brackets."""
    lines = ["| family | encoder | pretrained top-1 | random init | supervised | margin | pretext acc. | "
             "minutes/run |", "|---|---|---|---|---|---|---|---|"]
    for family in dict.fromkeys(r["family"] for r in rows):
        runs = [r for r in rows if r["family"] == family]

        def cell(values: list[float]) -> str:
            each = " / ".join(f"{100 * v:.1f}" for v in values)
            return f"{100 * statistics.mean(values):.1f} ({each})"

        top1 = {name: [r["top1"][name] for r in runs] for name in runs[0]["top1"]}
        margins = [r["margin_over_random"] for r in runs]
        pretext = [r["pretext_accuracy"] for r in runs if r["pretext_accuracy"] is not None]
        minutes = statistics.mean(r["run_seconds"] for r in runs) / 60
        lines.append(
            f"| {FAMILIES[family]} | {runs[0]['encoder']} | {cell(top1['pretrained'])} | "
            f"{cell(top1['random_init'])} | {cell(top1['supervised_scratch'])} | "
            f"{100 * statistics.mean(margins):+.1f} | {cell(pretext) if pretext else '-'} | {minutes:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    out_json = args.json or args.out / "results.json"
    out_json.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    failures: list[str] = []
    for seed in args.seeds:  # seed-major: every family has a figure early, the other seeds follow
        for family in args.families:
            print(f"== {family}, seed {seed}", flush=True)
            try:
                rows.append(run_one(family, seed, args))
            except TemporalSSLError as error:
                failures.append(f"{family} seed {seed}: {error}")
                print(f"error: {failures[-1]}", file=sys.stderr)
                continue
            row = rows[-1]
            top1 = row["top1"]
            print(f"   top-1 {100 * top1['pretrained']:.1f} vs random {100 * top1['random_init']:.1f} "
                  f"({row['wall_seconds'] / 60:.1f} min)", flush=True)
            out_json.write_text(json.dumps({"rows": rows, "failures": failures}, indent=2) + "\n")
    if rows:
        markdown = table(rows)
        out_json.with_suffix(".md").write_text(markdown)
        print("\n" + markdown)
        print(f"results: {out_json} and {out_json.with_suffix('.md')}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
