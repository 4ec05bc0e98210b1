"""Write the features of every video of a split to a .pt or .npy file (with an index of the videos).

Each video gives ``N`` uniform clips × ``M`` crops (the views of a protocol section of the eval config),
pooled as that section says or as ``--pooling`` asks (``global``, ``keep_time``, ``vcop_map``, or ``maps``
for the whole flattened last feature maps)::

    python tools/extract_features.py --checkpoint CKPT --split test --output features/test.pt
    python tools/extract_features.py --checkpoint CKPT --split train --output features/train.npy \\
        --pooling keep_time
    python tools/extract_features.py --checkpoint CKPT --config configs/eval/ucf101/retrieval_split1.yaml \\
        --protocol retrieval --split test --output ucf_test.npy data.root=/datasets/UCF-101
    python tools/extract_features.py --checkpoint random --output random.pt model.encoder=r3d_tiny

``.pt``: one file with ``features`` [V, K, F], ``labels``, ``paths``, ``class_names`` and ``metadata``.
``.npy``: the features, plus ``<name>.index.json`` with the videos (position, path, label, class) and
metadata.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from temporal_ssl.cli.failure import report_failure
from temporal_ssl.config_files import config_argument
from temporal_ssl.engine.distributed import shutdown_distributed
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.eval import load_eval_config
from temporal_ssl.eval.evaluate import resolve_checkpoint
from temporal_ssl.eval.export import export_features
from temporal_ssl.recipes.catalog import DATASETS_HELP, config_with_dataset
from temporal_ssl.registry import import_plugin


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="config overrides")
    parser.add_argument("--checkpoint", required=True, metavar="CKPT|RUN_DIR|random",
                        help="a checkpoint file, a run folder (its latest checkpoint), or random")
    parser.add_argument(
        "--config", type=config_argument("eval"), default="linear_probe",
        help="a YAML file, or a packaged eval config's name (default: linear_probe)",
    )
    parser.add_argument("--data", metavar="FILE|NAME",
                        help="the dataset replacing the config's: a data config file, a dataset of the "
                             "catalog, or a packaged data config's name")
    parser.add_argument("--datasets", metavar="CATALOG", help=DATASETS_HELP)
    parser.add_argument(
        "--split", default="test", help="split of the data (train, test, val; 'all' for every video)"
    )
    parser.add_argument("--output", type=Path, required=True, help="output file, .pt or .npy")
    parser.add_argument(
        "--protocol",
        default="linear_probe",
        choices=["linear_probe", "knn", "retrieval"],
        help="the config section whose views and pooling are used",
    )
    parser.add_argument(
        "--views",
        choices=["train", "test"],
        default=None,
        help="that section's train or test views (default: train views for --split train)",
    )
    parser.add_argument(
        "--pooling",
        choices=["global", "keep_time", "vcop_map", "maps"],
        help="override the section's pooling",
    )
    parser.add_argument("--plugin", action="append", default=[], metavar="MODULE")
    return parser.parse_intermixed_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        for module in args.plugin:
            import_plugin(module)
        base = config_with_dataset(args.config, args.data, args.datasets)
        config = load_eval_config(None, args.overrides, base=base)
        features = getattr(config, args.protocol).features
        use_train_views = args.views == "train" or (args.views is None and args.split == "train")
        views = features.views_for_train if use_train_views else features.test_views
        written = export_features(
            config,
            resolve_checkpoint(args.checkpoint),
            split=None if args.split == "all" else args.split,
            output=args.output,
            views=views,
            pooling=args.pooling or features.pooling,
        )
    except TemporalSSLError as error:
        return report_failure(error)
    finally:
        shutdown_distributed()
    for path in written:
        print(f"wrote {path}")
    return 0

