"""Loader throughput vs raw decoding of the same clips: clips/s and the decode / augment / collate split.

Runs the training loader (pretext ``arrow_of_time``: one clip of ``--frames`` frames, augmented to ``--size``
pixels after decoding at short side ``--decode-size``) with 0, 1 and 2 workers in CPU mode, the batched
in-process mode, and GPU mode when CUDA is present, on a folder of videos (default: a generated Kinetics-like
set, H.264, short side 256, 10 s at 25 fps), and prints a markdown table with the ratio loader / raw decode,
then each mode's split of the time between decoding, augmenting and collating.

Examples::

    python -m benchmarks.loader
    python -m benchmarks.loader --batches 8 --workers 0 2
    python -m benchmarks.loader --videos /datasets/kinetics400/val --out /tmp/loader_bench
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict
from pathlib import Path

import torch

from benchmarks.loader_runner import benchmark_corpus, markdown_tables
from benchmarks.videos import add_video_arguments, video_folder
from temporal_ssl.data.index_build import build_index
from temporal_ssl.data.transforms import VideoAugmentation
from temporal_ssl.registry import PRETEXTS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_video_arguments(parser)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--batches", type=int, default=10, help="timed batches per configuration")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--frame-stride", type=int, default=2)
    parser.add_argument("--size", type=int, default=112, help="augmented clip side")
    parser.add_argument("--decode-size", type=int, default=128, help="short side frames are decoded at")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--out", type=Path, default=Path("/tmp/temporal_ssl_bench/loader"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(1)  # the main process should not compete with the workers for the cores

    import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)

    folder = video_folder(args)
    pretext = PRETEXTS.build("arrow_of_time", {"num_frames_per_clip": args.frames,
                                               "frame_stride": args.frame_stride})
    augment = VideoAugmentation(output_size=args.size)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    index = build_index("list", folder, cache_dir=args.out / "index", progress=False)
    runs, splits = benchmark_corpus(folder.name, index.records, pretext, augment, batch_size=args.batch_size,
                                    num_batches=args.batches, workers=args.workers,
                                    decode_size=args.decode_size, devices=devices, backend=args.backend)
    tables = markdown_tables(runs, splits)
    print(tables)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "loader_benchmark.md").write_text(tables + "\n")
    (args.out / "loader_benchmark.json").write_text(json.dumps(
        {"runs": [asdict(r) for r in runs], "stage_splits": [asdict(s) for s in splits]}, indent=2))
    print(f"\nwrote {args.out / 'loader_benchmark.md'} and {args.out / 'loader_benchmark.json'}")


if __name__ == "__main__":
    main()
