"""Pretrain a video encoder with a temporal pretext task.

With no arguments it is the main job: it pretrains the default pretext (configs/pretrain/default.yaml) with a
tiny encoder on the embedded synthetic corpus (generated on first use), then linear-probes the encoder against
a randomly initialised one and one trained with labels from scratch, prints one line per encoder and writes
the report folder ``<run>/report`` (results.json, results.md, loss curve, accuracy bars, confusion matrices).
Run again, it reuses the finished pretraining (``--resume auto``)::

    python tools/pretrain.py

``--compare`` adds the same comparison to any pretraining run on a corpus with labelled train/test splits,
with that dataset's own evaluation protocol (configs/eval/<dataset>/comparison.yaml: views, probe, the
supervised baseline's batch and schedule); ``--eval key=value`` changes it, ``--eval-config`` replaces it::

    python tools/pretrain.py --config configs/pretrain/arrow_of_time.yaml --compare
    python tools/pretrain.py --config configs/pretrain/vcop.yaml --compare --eval finetune.max_steps=100

The configs in configs/pretrain are tuned for the synthetic corpus (32x32 frames, short clips, a tiny
encoder). Pointed at another dataset they stop with an error naming the recipe that holds the paper's
setting, unless the input size is set explicitly (``augment.output_size=112``).

A config, key=value overrides, the quick-run flags, a plugin module of your own components, resuming::

    python tools/pretrain.py --config configs/pretrain/vcop.yaml --max-steps 200 --output-dir runs/vcop_try
    python tools/pretrain.py --config configs/pretrain/cvrl.yaml model.encoder=r3d_18 optim.lr=1e-3
    python tools/pretrain.py --config my_pretext.yaml --plugin my_package.my_pretext
    python tools/pretrain.py --config configs/pretrain/vcop.yaml --output-dir runs/vcop --resume auto
    python tools/pretrain.py --config configs/pretrain/vcop.yaml --dry-run     # validate only, touch no data

Another dataset: ``--data`` swaps the whole ``data:`` section (overrides only change single keys); it takes
a file, a dataset named in the catalog (``--datasets``, else ``$TSSL_DATASETS``, else
``~/.config/temporal_ssl/datasets.yaml``), or a packaged data config; a catalog name wins over a packaged
one::

    python tools/pretrain.py --config configs/pretrain/cvrl.yaml --data configs/data/ucf101.yaml \\
        data.root=/datasets/UCF-101 augment.output_size=112 loader.decode_size=128 model.encoder=r3d_18
    python tools/pretrain.py --config cvrl --datasets datasets.yaml --data ucf101 augment.output_size=112

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

from temporal_ssl.cli.failure import report_failure
from temporal_ssl.config import load_yaml
from temporal_ssl.config_files import config_argument
from temporal_ssl.engine.pretrain import check_config, pretrain, resolve_output_dir
from temporal_ssl.engine.pretrain_config import PretrainConfig, load_pretrain_config
from temporal_ssl.errors import ConfigError, TemporalSSLError
from temporal_ssl.eval.pretrain_and_evaluate import pretrain_and_evaluate
from temporal_ssl.eval.report import summary_lines
from temporal_ssl.pipeline.records import SYNTHETIC_FORMAT
from temporal_ssl.recipes.catalog import DATASETS_HELP, config_with_dataset
from temporal_ssl.registry import import_plugin

IS_MAIN = int(os.environ.get("RANK", "0")) == 0

FAMILY_RECIPES: dict[str, str] = {
    "shuffle_and_learn": "shuffle_and_learn_ucf101_caffenet",
    "opn": "opn_ucf101_caffenet",
    "vcop": "vcop_ucf101_r3d",
    "playback_speed": "pace_k400_r2plus1d",
    "cvrl": "cvrl_k400_r3d50",
    "rho_clips": "rho_byol_k400_slow_r50_rho4",
    "multiview_tcn": "multiview_tcn_multicamera",
    "tracking": "tracking_wang_gupta_unlabeled",
}
"""Pretext → the published recipe that holds its paper's setting on real data (``tssl recipes list``)."""

INPUT_SIZE_KEY = "augment.output_size"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. optim.lr=1e-3")
    add("--config", type=config_argument("pretrain"), default="default",
        help="a YAML file, or a packaged pretrain config's name such as vcop (default: default)")
    add("--data", metavar="FILE|NAME",
        help="replace the data: section (a YAML file, a dataset of the catalog, or a packaged data config "
             "such as ucf101)")
    add("--datasets", metavar="CATALOG", help=DATASETS_HELP)
    add("--plugin", action="append", default=[], metavar="MODULE", help="import MODULE first (repeatable)")
    add("--output-dir", help="run folder (same as train.output_dir=...)")
    add("--max-steps", type=int, help="optimizer steps (same as train.max_steps=...)")
    add("--resume", metavar="PATH|auto", help="continue from a checkpoint, or the latest of the run folder")
    add("--dry-run", action="store_true", help="validate the config and build the model, then stop")
    add("--compare", action="store_true",
        help="after pretraining, evaluate against random init and supervised from scratch with the dataset's "
             "own protocol (the default with no arguments)")
    add("--eval", action="append", default=[], metavar="key=value", dest="eval_overrides",
        help="change the comparison's evaluation config, e.g. --eval finetune.max_steps=100 (repeatable)")
    add("--eval-config", type=config_argument("eval"), metavar="FILE|NAME",
        help="evaluation config of the comparison (default: the dataset's, eval/<dataset>/comparison)")
    add("-v", "--verbose", action="store_true", help="log every stage (INFO), not only warnings")
    return parser.parse_intermixed_args(argv)


def refuse_synthetic_settings_on_real_data(args: argparse.Namespace, config: PretrainConfig) -> None:
    """A config tuned for the synthetic corpus may not train silently at its toy size on another dataset.

    Raises:
        ConfigError: ``--config`` names the synthetic corpus, the data is another dataset and the input size
            (``augment.output_size``) was not set on the command line; the message names the recipe to use.
    """
    tuned_for = load_yaml(args.config).get("data", {}).get("format", SYNTHETIC_FORMAT)
    set_explicitly = any(o.split("=", 1)[0].strip() == INPUT_SIZE_KEY for o in args.overrides)
    if tuned_for != SYNTHETIC_FORMAT or config.data.format == SYNTHETIC_FORMAT or set_explicitly:
        return
    recipe = FAMILY_RECIPES.get(config.pretext.name)
    use = (
        f"Use the recipe with the paper's setting: tssl recipes run {recipe} --datasets CATALOG "
        "--output-dir DIR (tssl recipes list shows them all)"
        if recipe
        else f"No published recipe implements '{config.pretext.name}' (tssl recipes list shows the others)"
    )
    size = "none" if config.augment is None else config.augment.output_size
    raise ConfigError(
        f"'{args.config}' is tuned for the embedded synthetic corpus (input {size} px, encoder "
        f"'{config.model.encoder}'); on '{config.data.format}' data it would train at that toy size. {use}; "
        f"or set the input size: {INPUT_SIZE_KEY}=112 (with loader.decode_size, model.encoder to match)"
    )


def load_config(args: argparse.Namespace) -> PretrainConfig:
    """The validated config from ``--config``, the overrides and the quick-run flags."""
    for module in args.plugin:
        import_plugin(module)
    overrides = list(args.overrides)
    if args.output_dir is not None:
        overrides.append(f"train.output_dir={json.dumps(args.output_dir)}")  # quoted: any path stays a string
    if args.max_steps is not None:
        overrides.append(f"train.max_steps={args.max_steps}")
    base = config_with_dataset(args.config, args.data, args.datasets)
    config = load_pretrain_config(None, overrides, base=base)
    refuse_synthetic_settings_on_real_data(args, config)
    return config


def setup_logging(verbose: bool) -> None:
    """Warnings only (progress bars show the stages), or every stage with ``--verbose``; quiet off rank 0."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("temporal_ssl").setLevel(logging.INFO if verbose and IS_MAIN else logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    # The no-argument demo reuses its finished (or interrupted) run rather than refuse the existing folder.
    resume = args.resume if args.resume is not None or argv else "auto"
    compare = args.compare or not argv
    setup_logging(args.verbose)
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
            return run_main_job(config, args, resume=resume)
        result = pretrain(config, resume=resume)
    except TemporalSSLError as error:
        return report_failure(error)
    if IS_MAIN:
        print(
            f"checkpoint: {result.checkpoint}\nmetrics:    {output_dir / 'metrics.jsonl'}\n"
            f"loss curve: {output_dir / 'loss_curve.png'}\nsummary:    {output_dir / 'summary.json'}"
        )
    if result.stopped_by_signal is not None:
        if IS_MAIN:
            print(f"stopped at step {result.step}/{result.total_steps}; continue with --resume auto")
        return 128 + result.stopped_by_signal
    return 0


def run_main_job(config: PretrainConfig, args: argparse.Namespace, *, resume: str | None) -> int:
    """Pretrain, compare with the baselines, print one line per encoder and where the report went."""
    result = pretrain_and_evaluate(
        config, resume=resume, eval_overrides=args.eval_overrides, eval_config=args.eval_config
    )
    if IS_MAIN:
        run = result.pretraining
        assert run is not None
        print(f"\npretrained {run.steps} steps in {run.seconds:.0f} s, evaluated in "
              f"{result.seconds['evaluate']:.0f} s; " + "\n".join(summary_lines(result)))
        print(f"report: {result.output_dir}/ (results.json, results.md and {len(result.files) - 2} figures "
              "and tables)")
    return 0
