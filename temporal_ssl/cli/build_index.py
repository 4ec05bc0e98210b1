"""Probe a video corpus once and write its index (one JSON object per video) for training and evaluation.

Every file is decoded once, in parallel processes, and the result is cached beside the corpus
(``<root>/.temporal_ssl/``), so running the command again over an unchanged corpus only checks file sizes and
modification times. Files that cannot be decoded are quarantined and videos listed by the annotations but
absent are reported as missing; both lists are written next to the index.

Examples::

    python tools/build_index.py --format ucf101 --root data/UCF-101 --annotations data/ucfTrainTestlist \\
        --split 1 --out indexes/ucf101_split1.jsonl
    python tools/build_index.py --format hmdb51 --root data/hmdb51_org --split 2 --out indexes/hmdb51_2.jsonl
    python tools/build_index.py --format kinetics --root data/kinetics400 --annotations data/k400/train.csv \\
        --workers 16 --out indexes/k400_train.jsonl
    python tools/build_index.py --format ssv2 --root data/ssv2 --split val --out indexes/ssv2_val.jsonl
    python tools/build_index.py --format folder --root my_videos_by_class --out indexes/mine.jsonl
    python tools/build_index.py --format list --root unlabeled_videos --out indexes/pool.jsonl
    python tools/build_index.py --format multicamera --root synthetic/pretrain --out indexes/pretrain.jsonl
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

from temporal_ssl.data import build_index
from temporal_ssl.data.quarantine import write_jsonl
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.io.backends import BACKEND_NAMES

FORMATS = ("folder", "list", "ucf101", "hmdb51", "kinetics", "ssv2", "multicamera")
NUMBERED_SPLITS = ("ucf101", "hmdb51")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--format", required=True, choices=FORMATS, help="on-disk layout of the corpus")
    parser.add_argument("--root", required=True, help="folder holding the videos")
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
    parser.add_argument("--out", required=True, help="index file to write (JSON lines)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

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
                            retry_failed=args.retry_failed, verify_backends=args.verify_backends)
    except TemporalSSLError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    out = index.save(args.out)
    quarantine = write_jsonl(index.quarantined, out.with_suffix(".quarantine.jsonl"))
    missing = write_jsonl(index.missing, out.with_suffix(".missing.jsonl"))
    print(index.summary())
    print(f"index built in {seconds:.3f} s")
    print(f"wrote {out} ({len(index)} videos)")
    if index.classes:
        print(f"wrote {out.with_suffix('.classes.txt')} ({index.num_classes} classes)")
    print(f"wrote {quarantine} ({len(index.quarantined)} quarantined)")
    print(f"wrote {missing} ({len(index.missing)} missing)")
    return 0

