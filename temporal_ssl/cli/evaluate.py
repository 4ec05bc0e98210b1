"""Evaluate a pretrained encoder on action recognition: linear probe, fine-tuning, k-NN, VCOP retrieval.

On the embedded synthetic corpus (the labeled part of the checkpoint's pretraining corpus), CPU-sized::

    python tools/evaluate.py --checkpoint runs/pretrain/default/checkpoints/step_00001500.pt
    python tools/evaluate.py --checkpoint runs/pretrain/default        # a run folder: its latest checkpoint
    python tools/evaluate.py --checkpoint CKPT --config configs/eval/all.yaml --baselines
    python tools/evaluate.py --checkpoint CKPT --config configs/eval/knn.yaml knn.k=10
    python tools/evaluate.py --checkpoint random model.encoder=r3d_tiny
    python tools/evaluate.py --checkpoint random --config configs/eval/finetune.yaml model.encoder=r3d_tiny

(``--checkpoint random`` evaluates a randomly initialised encoder; fine-tuning it is supervised training from
scratch. ``--baselines`` adds both baselines to the same run, on the same videos.)

Published protocols, with the data on disk::

    python tools/evaluate.py --checkpoint CKPT --config configs/eval/ucf101/finetune_split1.yaml \\
        data.root=/datasets/UCF-101
    python tools/evaluate.py --checkpoint CKPT --config configs/eval/hmdb51/finetune_split2.yaml \\
        data.root=/datasets/hmdb51_org
    python tools/evaluate.py --checkpoint CKPT --config configs/eval/ucf101/retrieval_split1.yaml \\
        data.root=/datasets/UCF-101
    python tools/evaluate.py --checkpoint CKPT --config configs/eval/kinetics400/linear_probe.yaml \\
        data.root=/datasets/kinetics400 data.annotations=/datasets/kinetics400/annotations device=cuda

Several processes (``torchrun`` starts one per GPU; each extracts and trains on its share, rank 0 writes the
report)::

    torchrun --standalone --nproc_per_node 8 tools/evaluate.py --checkpoint RUN_DIR \\
        --config eval/kinetics400/linear_probe --datasets datasets.yaml --data kinetics400

A pretrained encoder against both baselines with a dataset's own comparison protocol::

    python tools/evaluate.py --checkpoint CKPT --config eval/ucf101/comparison data.root=/datasets/UCF-101

``--data configs/data/<dataset>.yaml`` swaps the dataset of any protocol config (a config tuned for the
synthetic corpus stops on other data with the list of that dataset's protocols, unless views are set).
Prints one line per encoder and protocol; writes ``results.json`` (every metric, the config, the
checkpoint's SHA-256; its layout is described in docs/results_schema.md), ``results.md``, a confusion-matrix
PNG and a per-class accuracy CSV for every classification result.
"""

from __future__ import annotations

import argparse
import json
import logging

from temporal_ssl.cli.failure import report_failure
from temporal_ssl.config import load_yaml
from temporal_ssl.config_files import config_argument
from temporal_ssl.engine.distributed import shutdown_distributed
from temporal_ssl.errors import ConfigError, TemporalSSLError
from temporal_ssl.eval import EvalConfig, evaluate, load_eval_config
from temporal_ssl.eval.dataset_protocols import published_protocols
from temporal_ssl.eval.evaluate import eval_context
from temporal_ssl.eval.report import summary_lines
from temporal_ssl.pipeline.records import SYNTHETIC_FORMAT
from temporal_ssl.recipes.catalog import DATASETS_HELP, config_with_dataset
from temporal_ssl.registry import import_plugin


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides, e.g. knn.k=10")
    parser.add_argument(
        "--checkpoint",
        required=True,
        metavar="CKPT|RUN_DIR|random",
        help="a checkpoint file, a pretraining run folder (its latest checkpoint), or 'random' for a "
             "randomly initialised encoder",
    )
    parser.add_argument(
        "--config", type=config_argument("eval"), default="linear_probe",
        help="a YAML file, or a packaged eval config's name such as ucf101/finetune_split1 "
             "(default: linear_probe)",
    )
    parser.add_argument("--data", metavar="FILE|NAME",
                        help="the dataset replacing the config's: a data config file, a dataset of the "
                             "catalog, or a packaged data config's name")
    parser.add_argument("--datasets", metavar="CATALOG", help=DATASETS_HELP)
    parser.add_argument("--output-dir", help="report folder (same as output_dir=...)")
    parser.add_argument(
        "--baselines",
        action="store_true",
        help="also evaluate random init and supervised-from-scratch on the same data",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every stage, not only warnings")
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE first so the encoders it registers can be named (repeatable)",
    )
    return parser.parse_intermixed_args(argv)


def refuse_synthetic_views_on_real_data(
    args: argparse.Namespace, overrides: list[str], config: EvalConfig
) -> None:
    """A config tuned for the synthetic corpus may not evaluate other data at its toy views silently.

    Raises:
        ConfigError: ``--config`` names the synthetic corpus, the data is another dataset and no override
            sets views; the message names the dataset's published protocols.
    """
    tuned_for = load_yaml(args.config).get("data", {}).get("format", SYNTHETIC_FORMAT)
    views_set = any("views" in o.split("=", 1)[0] for o in overrides)
    if tuned_for != SYNTHETIC_FORMAT or config.data.format == SYNTHETIC_FORMAT or views_set:
        return
    protocols = published_protocols(config.data.format)
    use = (
        f"Use one of its protocols: {', '.join(protocols)} (tssl evaluate --config {protocols[0]} ...)"
        if protocols
        else f"No packaged protocol is written for '{config.data.format}': write an evaluation config"
    )
    raise ConfigError(
        f"'{args.config}' is tuned for the embedded synthetic corpus (native 32x32 frames, short clips); on "
        f"'{config.data.format}' data its views would be a toy setting. {use}; or set the views explicitly "
        "(e.g. linear_probe.features.test_views.transform.crop_size=112)"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("temporal_ssl").setLevel(logging.INFO if args.verbose else logging.WARNING)
    overrides = list(args.overrides)
    if args.output_dir is not None:
        overrides.append(f"output_dir={json.dumps(args.output_dir)}")
    if args.baselines:
        overrides.append("baselines=[random_init, supervised_scratch]")
    try:
        for module in args.plugin:
            import_plugin(module)
        base = config_with_dataset(args.config, args.data, args.datasets)
        config = load_eval_config(None, overrides, base=base)
        refuse_synthetic_views_on_real_data(args, overrides, config)
        ctx = eval_context(config.device)  # under torchrun: every rank evaluates its share, rank 0 reports
        try:
            result = evaluate(config, args.checkpoint)
        finally:
            shutdown_distributed()
    except TemporalSSLError as error:
        return report_failure(error)
    if not ctx.is_main:
        return 0
    print("\n".join(summary_lines(result)))
    print(f"report:  {result.files['markdown']}\nresults: {result.files['json']}")
    pictures = sorted(path for kind, path in result.files.items() if kind.startswith("confusion_"))
    if pictures:
        print(
            f"confusion matrices, per-class accuracy: {len(pictures)} PNG + CSV pairs in {result.output_dir}"
        )
    return 0

