"""Pretrain a video encoder with a temporal pretext task.

With no arguments it is the main job: it pretrains the default pretext (configs/pretrain/default.yaml) with a
tiny encoder on the embedded synthetic corpus (generated on first use), then linear-probes the encoder against
a randomly initialised one and one trained with labels from scratch, prints the table and writes the report
folder (results.json, summary.md, loss_curve.png, accuracy_bars.png). Run again, it reuses the finished
pretraining (``--resume auto``)::

    python tools/pretrain.py

``--compare`` adds the same comparison to any pretraining run on a corpus with labelled train/test splits::

    python tools/pretrain.py --config configs/pretrain/arrow_of_time.yaml --compare

A config, key=value overrides, the quick-run flags, a plugin module of your own components, resuming::

    python tools/pretrain.py --config configs/pretrain/vcop.yaml --max-steps 200 --output-dir runs/vcop_try
    python tools/pretrain.py --config configs/pretrain/cvrl.yaml model.encoder=r3d_18 optim.lr=1e-3
    python tools/pretrain.py --config my_pretext.yaml --plugin my_package.my_pretext
    python tools/pretrain.py --config configs/pretrain/vcop.yaml --output-dir runs/vcop --resume auto
    python tools/pretrain.py --config configs/pretrain/vcop.yaml --dry-run     # validate only, touch no data

Another dataset: ``--data`` swaps the whole ``data:`` section (overrides only change single keys)::

    python tools/pretrain.py --config configs/pretrain/cvrl.yaml --data configs/data/ucf101.yaml \\
        data.root=/datasets/UCF-101

One GPU (AMP picks bf16 where supported; ``loader.batch_size`` is per process)::

    python tools/pretrain.py --config configs/pretrain/cvrl.yaml train.device=cuda \\
        model.encoder=r2plus1d_18 loader.batch_size=64 loader.num_workers=12

Several processes on one machine (``torchrun`` starts one per GPU; NCCL on GPUs, gloo with train.device=cpu)::

    torchrun --standalone --nproc_per_node 8 tools/pretrain.py --config configs/pretrain/cvrl.yaml \\
        train.device=cuda model.encoder=r2plus1d_18
    torchrun --standalone --nproc_per_node 2 tools/pretrain.py --config configs/pretrain/vcop.yaml \\
        train.device=cpu

Several machines: run the same command on every node, changing only ``--node_rank`` (``--output-dir`` must be
on a filesystem every node sees, so that ``--resume auto`` finds rank 0's checkpoints)::

    torchrun --nnodes 2 --nproc_per_node 8 --node_rank 0 --master_addr 10.0.0.1 --master_port 29500 \\
        tools/pretrain.py --config configs/pretrain/cvrl.yaml train.device=cuda --output-dir /shared/runs/cvrl
    torchrun --nnodes 2 --nproc_per_node 8 --node_rank 1 --master_addr 10.0.0.1 --master_port 29500 \\
        tools/pretrain.py --config configs/pretrain/cvrl.yaml train.device=cuda --output-dir /shared/runs/cvrl

(or elastic rendezvous: ``--rdzv_backend c10d --rdzv_endpoint 10.0.0.1:29500 --rdzv_id job42`` instead of
``--node_rank/--master_*``). SIGTERM or Ctrl-C saves a checkpoint and exits with 128 + the signal number;
``--resume auto`` continues exactly.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from temporal_ssl.config_files import config_argument
from temporal_ssl.engine.pretrain import check_config, pretrain, resolve_output_dir
from temporal_ssl.engine.pretrain_config import PretrainConfig, load_pretrain_config
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.experiment import run_experiment
from temporal_ssl.registry import import_plugin

IS_MAIN = int(os.environ.get("RANK", "0")) == 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. optim.lr=1e-3")
    add("--config", type=config_argument("pretrain"), default="default",
        help="a YAML file, or a packaged pretrain config's name such as vcop (default: default)")
    add("--data", type=config_argument("data"), metavar="FILE|NAME",
        help="replace the data: section (a YAML file, or a packaged data config such as ucf101)")
    add("--plugin", action="append", default=[], metavar="MODULE", help="import MODULE first (repeatable)")
    add("--output-dir", help="run folder (same as train.output_dir=...)")
    add("--max-steps", type=int, help="optimizer steps (same as train.max_steps=...)")
    add("--resume", metavar="PATH|auto", help="continue from a checkpoint, or the latest of the run folder")
    add("--dry-run", action="store_true", help="validate the config and build the model, then stop")
    add("--compare", action="store_true",
        help="after pretraining, linear-probe against random init and supervised from scratch (the default "
             "with no arguments)")
    add("--supervised-steps", type=int, default=300, metavar="N",
        help="training steps of the supervised-from-scratch baseline of --compare (default 300)")
    return parser.parse_intermixed_args(argv)


def load_config(args: argparse.Namespace) -> PretrainConfig:
    """The validated config from ``--config``, the overrides and the quick-run flags."""
    for module in args.plugin:
        import_plugin(module)
    overrides = list(args.overrides)
    if args.output_dir is not None:
        overrides.append(f"train.output_dir={json.dumps(args.output_dir)}")  # quoted: any path stays a string
    if args.max_steps is not None:
        overrides.append(f"train.max_steps={args.max_steps}")
    return load_pretrain_config(args.config, overrides, data_path=args.data)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # The no-argument demo reuses its finished (or interrupted) run rather than refuse the existing folder.
    resume = args.resume if args.resume is not None or argv else "auto"
    compare = args.compare or not argv
    logging.basicConfig(
        level=logging.INFO if IS_MAIN else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config = load_config(args)
        output_dir = resolve_output_dir(config)
        if args.dry_run:
            components = check_config(config)
            size = sum(p.numel() for p in components.model.parameters())
            print(
                f"config OK: pretext '{config.pretext.name}', encoder '{config.model.encoder}' ({size:,} "
                f"parameters); outputs would go to {output_dir}"
            )
            return 0
        if IS_MAIN:
            print(f"pretraining '{config.pretext.name}' ('{config.model.encoder}'); outputs: {output_dir}/")
        if compare:
            return run_main_job(config, resume=resume, supervised_steps=args.supervised_steps)
        result = pretrain(config, resume=resume)
    except TemporalSSLError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if IS_MAIN:
        print(
            f"checkpoint: {result.checkpoint}\nmetrics:    {output_dir / 'metrics.jsonl'}\n"
            f"loss curve: {output_dir / 'loss_curve.png'}\nsummary:    {output_dir / 'summary.json'}"
        )
        if result.pretext_at_chance:
            print(
                f"warning: the pretext accuracy ended at chance ({result.pretext_accuracy:.3f}); see the log"
            )
    if result.stopped_by_signal is not None:
        if IS_MAIN:
            print(f"stopped at step {result.step}/{result.total_steps}; continue with --resume auto")
        return 128 + result.stopped_by_signal
    return 0


def run_main_job(config: PretrainConfig, *, resume: str | None, supervised_steps: int) -> int:
    """Pretrain, compare with the baselines, print the table and where the report went."""
    experiment = run_experiment(config, resume=resume, supervised_steps=supervised_steps)
    if IS_MAIN:
        summary = experiment.summary()
        seconds = summary["seconds"]
        classes = len(experiment.comparison.evaluation.class_names)
        print(f"\nlinear probe on the labelled test videos ({classes} classes):\n")
        print(experiment.comparison.to_markdown())
        print(f"margin over random init: {100 * summary['margin_over_random']:+.1f} points (pretraining "
              f"{seconds['pretrain']:.0f} s, evaluation {seconds['evaluate']:.0f} s)")
        if experiment.pretraining.pretext_at_chance:
            print("warning: the pretext accuracy ended at chance; the encoder learned little")
        names = ", ".join(Path(f).name for f in experiment.files.values())
        print(f"report: {experiment.report_dir}/ ({names})")
    return 0
