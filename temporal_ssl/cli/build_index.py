"""Probe a video corpus once and write its index for training and evaluation.

Every file is probed once, in parallel processes, and the result is cached beside the corpus
(``<root>/.temporal_ssl/``), so running the command again over an unchanged corpus only checks file sizes and
modification times, and an interrupted run continues where it stopped. Files that cannot be decoded, or that
hang the decoder past ``--timeout``, are quarantined and videos listed by the annotations but absent are
reported as missing; both lists are written next to the index.

The index is a columnar file that loads in milliseconds and is shared by every loader worker; an ``--out``
name ending in ``.jsonl`` writes JSON lines instead (one object per video), for people and other tools. Both
load anywhere an index is accepted.

Examples::

    tssl build-index --format ucf101 --root data/UCF-101 --annotations data/ucfTrainTestlist \\
        --split 1 --out indexes/ucf101_split1.index
    tssl build-index --format hmdb51 --root data/hmdb51_org --split 2 --out indexes/hmdb51_2.index
    tssl build-index --format kinetics --root data/kinetics400 --annotations data/k400/train.csv \\
        --workers 16 --out indexes/k400_train.index
    tssl build-index --format ssv2 --root data/ssv2 --split val --out indexes/ssv2_val.jsonl
    tssl build-index --datasets datasets.yaml --data ucf101 --out indexes/ucf101_1.index
    tssl build-index --format folder --root my_videos_by_class --out indexes/mine.index
    tssl build-index --format list --root unlabeled_videos --out indexes/pool.index
    tssl build-index --format multicamera --root synthetic/pretrain --out indexes/pretrain.index

A corpus split across machines: run ``--shard i/N`` for i = 0 ... N-1 (same corpus, any machines), then join
the parts into exactly the index one process would build::

    tssl build-index --format list --root videos --shard 0/4 --out parts/pool.0.index   # ... 3/4
    tssl build-index --merge parts/pool.0.index parts/pool.1.index parts/pool.2.index parts/pool.3.index \\
        --out indexes/pool.index
"""

from __future__ import annotations

import argparse
import logging
import time

from temporal_ssl.cli.failure import report_failure
from temporal_ssl.data import VideoIndex, build_index
from temporal_ssl.data.index_build import merge_indexes
from temporal_ssl.data.probe_pool import DEFAULT_TIMEOUT_S
from temporal_ssl.data.quarantine import write_jsonl
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.io.backends import BACKEND_NAMES
from temporal_ssl.recipes.catalog import DATASETS_HELP, dataset_section

FORMATS = ("folder", "list", "ucf101", "hmdb51", "kinetics", "ssv2", "multicamera")
NUMBERED_SPLITS = ("ucf101", "hmdb51")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", metavar="NAME",
                        help="a dataset of the catalog (or a packaged data config): its format, root, "
                             "annotations, split and cache folder, unless the flags below set them")
    parser.add_argument("--datasets", metavar="CATALOG", help=DATASETS_HELP)
    parser.add_argument("--format", choices=FORMATS, help="on-disk layout of the corpus")
    parser.add_argument("--root", help="folder holding the videos")
    parser.add_argument("--annotations",
                        help="split/annotation file or folder (ucf101, hmdb51, kinetics, ssv2, "
                                              "list); found beside --root when left out")
    parser.add_argument("--split",
                        help="ucf101/hmdb51: official split 1-3 (default 1); kinetics/ssv2: train, val "
                                        "or test (default: all)")
    parser.add_argument("--workers", type=int, default=None,
                        help="parallel probing processes (default: CPUs)")
    parser.add_argument("--cache-dir", help="probe cache folder (default: <root>/.temporal_ssl)")
    parser.add_argument("--retry-failed", action="store_true", help="probe again files that failed before")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument("--verify-backends", nargs="+", choices=BACKEND_NAMES, default=None,
                        help="verify seeking only for these backends (default: every installed one); the "
                             "others decode the files linearly, still exact")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                        help="seconds one file may take to probe before it is stopped and quarantined "
                             "(default: %(default)s)")
    parser.add_argument("--full-probe", action="store_true",
                        help="decode every frame of every file (exact motion profiles; slower) instead of "
                             "probing from the packets where they can vouch for the file")
    parser.add_argument("--shard", help="index only part i of n (written i/n, from 0/n to n-1/n); join the "
                                        "parts with --merge")
    parser.add_argument("--merge", nargs="+", metavar="PART",
                        help="join the index files of shards 0/n ... n-1/n instead of probing")
    parser.add_argument("--out", required=True,
                        help="index file to write (columnar; a name ending in .jsonl writes JSON lines)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.merge:
        return _merge(args.merge, args.out)
    if args.data is not None:
        try:
            fill_from_dataset(args, dataset_section(args.data, args.datasets))
        except TemporalSSLError as error:
            return report_failure(error)
    if args.format is None or args.root is None:
        parser.error("--format and --root are required (unless --merge joins finished shards)")
    shard = None
    if args.shard is not None:
        part, _, count = args.shard.partition("/")
        if not (part.isdigit() and count.isdigit() and int(part) < int(count)):
            parser.error(f"--shard is written i/n with 0 <= i < n, e.g. 0/4; got {args.shard!r}")
        shard = (int(part), int(count))

    options: dict[str, object] = {}
    if args.split is not None:
        if args.format in NUMBERED_SPLITS:
            if not args.split.isdigit():
                parser.error(f"--split for {args.format} is an official split number (1, 2 or 3), "
                             f"got {args.split!r}")
            options["split"] = int(args.split)
        elif args.format in ("kinetics", "ssv2"):
            options["split"] = args.split
        else:
            parser.error(f"format '{args.format}' has no splits; drop --split")
    started = time.perf_counter()
    try:
        index = build_index(args.format, args.root, annotations=args.annotations, options=options,
                            cache_dir=args.cache_dir, workers=args.workers, progress=not args.no_progress,
                            retry_failed=args.retry_failed, verify_backends=args.verify_backends,
                            shard=shard, timeout_s=args.timeout, full_probe=args.full_probe)
    except TemporalSSLError as error:
        return report_failure(error)
    seconds = time.perf_counter() - started
    return _report(index, args.out, f"index built in {seconds:.3f} s")


def fill_from_dataset(args: argparse.Namespace, section: dict[str, object]) -> None:
    """Set every location flag left out on the command line from the dataset's ``data:`` section."""
    split = section.get("split_number") if section.get("format") in NUMBERED_SPLITS else section.get("split")
    values = {key: section.get(key) for key in ("format", "root", "annotations", "cache_dir", "workers",
                                                 "verify_backends")}
    values["split"] = None if split is None else str(split)
    for flag, value in values.items():
        if getattr(args, flag) is None and value is not None:
            setattr(args, flag, value)


def _merge(parts: list[str], out: str) -> int:
    try:
        index = merge_indexes(parts)
    except TemporalSSLError as error:
        return report_failure(error)
    return _report(index, out, f"merged {len(parts)} shards")


def _report(index: VideoIndex, destination: str, how: str) -> int:
    """Save ``index`` and its quarantine and missing lists, and print what was written."""
    out = index.save(destination)
    quarantine = write_jsonl(index.quarantined, out.with_suffix(".quarantine.jsonl"))
    missing = write_jsonl(index.missing, out.with_suffix(".missing.jsonl"))
    print(index.summary())
    print(how)
    print(f"wrote {out} ({len(index)} videos)")
    if index.classes:
        print(f"wrote {out.with_suffix('.classes.txt')} ({index.num_classes} classes)")
    print(f"wrote {quarantine} ({len(index.quarantined)} quarantined)")
    print(f"wrote {missing} ({len(index.missing)} missing)")
    return 0

