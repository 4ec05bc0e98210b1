"""The equal-budget pretext benchmark: every family pretrained on the same number of samples, then probed.

Each family's config (configs/pretrain/<name>.yaml) is pretrained on the embedded synthetic corpus for
``--samples`` training samples (steps x batch x accumulation; the default's 2,000 x 32), with its learning
rate chosen on ``--select-seed`` from ``--lr-grid`` by the linear probe's 5-fold cross-validated accuracy on
the labelled *train* split (never the test split), then run with the other seeds at that rate. Every run is
linear-probed on the labelled test videos beside a randomly initialised copy of its encoder and one trained
with labels from scratch (the main job's comparison); the supervised baseline depends only on the encoder and
the seed, so it is trained once per pair and reused.

Work is ordered so that an interrupted benchmark still says the most: every family's first run, then the
rest of the learning-rate grid, then the other seeds. Each finished run is a row of ``OUT/results.json``,
written at once; run the same command again and finished rows are kept, half-finished pretraining resumes.
The table (``OUT/results.md``) gives per family the chosen rate, mean and per-seed top-1, the margin over
random init, the pretext's own accuracy (or loss) at 10 / 50 / 100 % of training, and pretraining minutes
per run.

    python -m benchmarks.pretexts                                      # every family, the whole protocol
    python -m benchmarks.pretexts --families default opn --seeds 0     # one seed: the grid only
    python -m benchmarks.pretexts --families cvrl --lr-grid 0.0005 --samples 19200
"""

from __future__ import annotations

import argparse
import fcntl
import json
import logging
import math
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.engine.metrics_log import read_metrics
from temporal_ssl.engine.pretrain_config import PretrainConfig, load_pretrain_config
from temporal_ssl.engine.signals import TrainingStopped
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.eval.pretrain_and_evaluate import pretrain_and_evaluate
from temporal_ssl.eval.results import PRETRAINED, RANDOM_INIT, SUPERVISED_SCRATCH, EvalResult

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "pretrain"
FAMILIES = {
    "default": "order: VCOP clip order, clips joined in time (the main job)",
    "vcop": "order: VCOP clip order, pairwise head",
    "opn": "order: OPN frame order",
    "shuffle_and_learn": "order: Shuffle & Learn",
    "arrow_of_time": "order: arrow of time",
    "playback_speed": "order: playback speed",
    "time_contrastive": "adjacent: time-contrastive",
    "temporal_coherence": "adjacent: temporal coherence",
    "multiview_tcn": "multi-view: multi-camera TCN",
    "cvrl": "multi-view: CVRL temporal views",
    "rho_clips": "multi-view: rho-clips",
    "tracking": "tracking: patch tracks",
}
LR_GRID = (1.5e-4, 5e-4, 1.5e-3)
DEFAULT_SAMPLES = 64_000  # the default config's budget: 2,000 steps of 32 samples
CURVE_POINTS = (0.1, 0.5, 1.0)
SELECTION_FOLDS = 5  # every train video held out once: a single held-out fifth is too noisy to rank rates


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES),
                        metavar="NAME", help=f"configs to run (default: all of {', '.join(FAMILIES)})")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--select-seed", type=int, default=0, help="the seed the learning rate is chosen on")
    parser.add_argument("--lr-grid", nargs="+", type=float, default=list(LR_GRID),
                        help="learning rates tried on the selection seed (one value: no choice)")
    parser.add_argument("--fixed-lr", action="store_true",
                        help="no grid: each family at its config's own rate (a later grid reuses these)")
    parser.add_argument("--samples", type=int, default=DEFAULT_SAMPLES,
                        help="training samples per run (steps = samples / (batch x grad accumulation))")
    parser.add_argument("--supervised-steps", type=int, default=300)
    parser.add_argument("--report-only", action="store_true",
                        help="print the table of the finished runs and run nothing")
    parser.add_argument("--out", type=Path, default=Path("runs/benchmark_pretexts"), help="run folders")
    parser.add_argument("--json", type=Path, default=None, help="results file (default: OUT/results.json)")
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="overrides for every config")
    args = parser.parse_intermixed_args(argv)
    if args.select_seed not in args.seeds:
        parser.error(f"--select-seed {args.select_seed} is not among --seeds {args.seeds}")
    return args


def family_config(family: str, lr: float, seed: int, args: argparse.Namespace) -> PretrainConfig:
    """The family's config at ``lr`` and ``seed``, trained for the benchmark's sample budget."""
    base = load_pretrain_config(CONFIGS / f"{family}.yaml", args.overrides)
    steps = steps_for(base, args.samples)
    run_dir = args.out / family / f"lr{lr:g}" / f"seed{seed}"
    return load_pretrain_config(CONFIGS / f"{family}.yaml", [
        *args.overrides, f"optim.lr={lr!r}", f"train.seed={seed}", f"train.max_steps={steps}",
        f"train.output_dir={json.dumps(str(run_dir))}",
    ])


def steps_for(config: PretrainConfig, samples: int) -> int:
    """Optimizer steps that feed ``samples`` training samples to one process."""
    per_step = config.loader.batch_size * config.train.grad_accum_steps
    return max(1, math.ceil(samples / per_step))


def plan(families: list[str], args: argparse.Namespace, results: Path) -> Iterator[tuple[str, float, int]]:
    """``(family, lr, seed)`` in benchmark order; the chosen rate is read from ``results`` when needed."""
    grids = {f: family_grid(f, args) for f in families}
    for family in families:
        yield family, grids[family][0], args.select_seed
    for family in families:
        for lr in grids[family][1:]:
            yield family, lr, args.select_seed
    for seed in args.seeds:
        if seed == args.select_seed:
            continue
        for family in families:
            chosen = chosen_lr(read_rows(results, args.samples), family, grids[family], args.select_seed)
            if chosen is not None:
                yield family, chosen, seed


def family_grid(family: str, args: argparse.Namespace) -> list[float]:
    """The rates a family tries, the one nearest its config's own first (``--fixed-lr``: that one alone)."""
    own = load_pretrain_config(CONFIGS / f"{family}.yaml", args.overrides).optim.lr
    if args.fixed_lr:
        return [own]
    first = closest(own, args.lr_grid)
    return [first, *(lr for lr in args.lr_grid if lr != first)]


def closest(lr: float, grid: list[float]) -> float:
    """The grid value nearest the config's own rate (log scale): each family starts where it was tuned."""
    return min(grid, key=lambda value: abs(math.log(value / lr)))


def chosen_lr(rows: list[dict[str, Any]], family: str, grid: list[float], seed: int) -> float | None:
    """The grid rate with the best cross-validated probe accuracy on ``seed`` (ties: the lower); ``None``
    before every rate ran."""
    held_out = {r["lr"]: r["validation_top1"] for r in rows if r["family"] == family and r["seed"] == seed}
    if any(lr not in held_out for lr in grid):
        return None
    return max(sorted(grid), key=lambda lr: held_out[lr])


def run_one(family: str, lr: float, seed: int, args: argparse.Namespace,
            baselines: dict[tuple[str, int], float]) -> dict[str, Any]:
    """Pretrain and probe one (family, rate, seed); the row of the results file."""
    config = family_config(family, lr, seed, args)
    encoder = config.model.encoder
    trained_baseline = (encoder, seed) not in baselines
    eval_overrides = [f"finetune.max_steps={args.supervised_steps}",
                      f"linear_probe.validation_folds={SELECTION_FOLDS}"]
    if not trained_baseline:
        eval_overrides.append(f"baselines=[{RANDOM_INIT}]")
    started = time.perf_counter()
    result = pretrain_and_evaluate(config, resume="auto", eval_overrides=eval_overrides)
    assert result.pretraining is not None
    run_dir = Path(result.pretraining.run_dir)
    top1 = {row.subject: row.metrics.top1 for row in result.results if row.protocol == "linear_probe"}
    top1[SUPERVISED_SCRATCH] = supervised_top1(result) if trained_baseline else baselines[(encoder, seed)]
    history = read_metrics(run_dir / "metrics.jsonl")
    return {
        "family": family, "lr": lr, "seed": seed, "samples": args.samples, "steps": config.train.max_steps,
        "encoder": encoder, "top1": top1, "validation_top1": held_out_top1(result),
        "margin_over_random": top1[PRETRAINED] - top1[RANDOM_INIT],
        "pretext_accuracy": result.pretraining.pretext_accuracy,
        "pretext_at_chance": result.pretraining.pretext_at_chance,
        "curve": {key: curve(history, key) for key in ("loss", "accuracy")},
        "pretrain_seconds": pretraining_seconds(run_dir), "evaluate_seconds": result.seconds["evaluate"],
        "wall_seconds": time.perf_counter() - started, "run_dir": str(run_dir),
        "report": str(result.output_dir),
    }


def supervised_top1(result: EvalResult) -> float:
    """The supervised-from-scratch baseline's top-1 in ``result``."""
    return next(r.metrics.top1 for r in result.results if r.subject == SUPERVISED_SCRATCH)


def held_out_top1(result: EvalResult) -> float:
    """The pretrained encoder's cross-validated probe accuracy on the training videos, at the chosen weight
    decay."""
    row = next(r for r in result.results if r.protocol == "linear_probe" and r.subject == PRETRAINED)
    validation = row.settings.get("validation_accuracy") or {}
    if not validation:
        raise TemporalSSLError("the linear probe reported no held-out accuracy; the benchmark needs "
                               "linear_probe.weight_decay: null so that one is measured")
    return max(validation.values())


def pretraining_seconds(run_dir: Path) -> float:
    """Training time of a run from its metrics log, summed over resumed segments (each restarts the clock)."""
    total = previous = 0.0
    for row in read_metrics(run_dir / "metrics.jsonl"):
        elapsed = float(row.get("elapsed_seconds", 0.0))
        if elapsed < previous:
            total += previous
        previous = elapsed
    return total + previous


def curve(history: list[dict[str, Any]], key: str) -> list[float] | None:
    """``key`` at 10, 50 and 100 % of the logged windows; ``None`` when the run never logged it."""
    values = [float(row[key]) for row in history if isinstance(row.get(key), (int, float))]
    if not values:
        return None
    return [values[max(0, math.ceil(point * len(values)) - 1)] for point in CURVE_POINTS]


def table(rows: list[dict[str, Any]], grids: dict[str, list[float]], select_seed: int) -> str:
    """Markdown: one line per family at its chosen rate, means over seeds, per-seed figures in brackets."""
    lines = ["| family | encoder | lr (cross-validated top-1 per rate) | pretrained top-1 | random init "
             "| supervised | margin | pretext at 10 / 50 / 100 % | pretrain min/run |",
             "|---|---|---|---|---|---|---|---|---|"]
    for family in sorted(dict.fromkeys(r["family"] for r in rows), key=list(FAMILIES).index):
        tried = {r["lr"]: r for r in rows if r["family"] == family and r["seed"] == select_seed}
        grid = grids.get(family, sorted(tried))
        chosen = chosen_lr(rows, family, grid, select_seed)
        lr = chosen if chosen is not None else max(tried, key=lambda value: tried[value]["validation_top1"])
        runs = sorted((r for r in rows if r["family"] == family and r["lr"] == lr), key=lambda r: r["seed"])
        rates = ", ".join(f"{v:g}: {100 * tried[v]['validation_top1']:.1f}" for v in sorted(tried))
        note = "" if chosen is not None or len(grid) == 1 else " (grid unfinished)"

        def cell(values: list[float]) -> str:
            each = " / ".join(f"{100 * v:.1f}" for v in values)
            return f"{100 * statistics.mean(values):.1f} ({each})"

        subjects = (PRETRAINED, RANDOM_INIT, SUPERVISED_SCRATCH)
        top1 = {name: [r["top1"][name] for r in runs] for name in subjects}
        margins = [r["margin_over_random"] for r in runs]
        minutes = statistics.mean(r["pretrain_seconds"] for r in runs) / 60
        lines.append(
            f"| {FAMILIES[family]} | {runs[0]['encoder']} | **{lr:g}**{note} ({rates}) | "
            f"{cell(top1[PRETRAINED])} | {cell(top1[RANDOM_INIT])} | {cell(top1[SUPERVISED_SCRATCH])} | "
            f"{100 * statistics.mean(margins):+.1f} ({' / '.join(f'{100 * m:+.1f}' for m in margins)}) | "
            f"{pretext_cell(runs[0])} | {minutes:.1f} |"
        )
    return "\n".join(lines) + "\n"


def pretext_cell(row: dict[str, Any]) -> str:
    """The pretext's accuracy curve in percent (classification pretexts), else its loss curve."""
    accuracy, loss = row["curve"]["accuracy"], row["curve"]["loss"]
    if accuracy is not None:
        return "acc. " + " / ".join(f"{100 * v:.1f}" for v in accuracy)
    return "loss " + " / ".join(f"{v:.3g}" for v in loss) if loss is not None else "-"


def table_grids(rows: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, list[float]]:
    """Per family the whole grid where it ran on the selection seed, else this command's rates for it."""
    grids = {}
    for family in dict.fromkeys(r["family"] for r in rows):
        full = chosen_lr(rows, family, args.lr_grid, args.select_seed) is not None
        grids[family] = list(args.lr_grid) if full else family_grid(family, args)
    return grids


def read_rows(path: Path, samples: int) -> list[dict[str, Any]]:
    """The finished runs at this sample budget in the results file (other budgets stay in the file)."""
    if not path.exists():
        return []
    return [r for r in json.loads(path.read_text())["rows"] if r.get("samples") == samples]


def check_same_overrides(path: Path, overrides: list[str]) -> None:
    """Refuse to mix runs made with other ``key=value`` overrides into a results file and its run folders."""
    if not path.exists():
        return
    saved = json.loads(path.read_text()).get("overrides", [])
    if saved != overrides:
        raise SystemExit(f"error: '{path}' holds runs made with overrides {saved}, not {overrides}; give "
                         "this variant its own --out")


def save_row(path: Path, row: dict[str, Any], overrides: list[str]) -> None:
    """Add ``row`` to the results file under a lock: benchmarks of disjoint families may share one file."""
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        saved = json.loads(path.read_text()) if path.exists() else {"overrides": overrides, "rows": []}
        saved["rows"].append(row)
        write_text_atomic(path, json.dumps(saved, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    results = args.json or args.out / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    check_same_overrides(results, args.overrides)
    failures: list[str] = []
    for family, lr, seed in [] if args.report_only else plan(args.families, args, results):
        rows = read_rows(results, args.samples)
        if any((r["family"], r["lr"], r["seed"]) == (family, lr, seed) for r in rows):
            continue
        print(f"== {family}, lr {lr:g}, seed {seed}", flush=True)
        baselines = {(r["encoder"], r["seed"]): r["top1"][SUPERVISED_SCRATCH] for r in rows}
        try:
            row = run_one(family, lr, seed, args, baselines)
        except TrainingStopped as stopped:  # Ctrl-C or a job scheduler: stop here, the same command continues
            print(stopped, file=sys.stderr)
            return stopped.exit_code
        except TemporalSSLError as error:
            failures.append(f"{family} lr {lr:g} seed {seed}: {error}")
            print(f"error: {failures[-1]}", file=sys.stderr)
            continue
        save_row(results, row, args.overrides)
        print(f"   top-1 {100 * row['top1'][PRETRAINED]:.1f} vs random {100 * row['top1'][RANDOM_INIT]:.1f}, "
              f"cross-validated {100 * row['validation_top1']:.1f} ({row['wall_seconds'] / 60:.1f} min)",
              flush=True)
    rows = read_rows(results, args.samples)
    if rows:
        markdown = table(rows, table_grids(rows, args), args.select_seed)
        results.with_suffix(".md").write_text(markdown)
        print("\n" + markdown)
        print(f"results: {results} and {results.with_suffix('.md')}")
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
