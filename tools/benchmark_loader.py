"""Loader throughput vs raw decoding of the same clips: clips/s and the decode / augment / collate split.

Runs the training loader (pretext ``arrow_of_time``: one clip of ``--frames`` frames, augmented to ``--size``
pixels after decoding at short side ``--decode-size``) with 0, 1 and 2 workers in CPU mode, the batched
in-process mode, and GPU mode when CUDA is present, on ../shared/videos and on a generated Kinetics-like set
(H.264, short side 256, 10 s at 25 fps), and prints a markdown table with the ratio loader / raw decode.

Examples::

    python tools/benchmark_loader.py
    python tools/benchmark_loader.py --corpus shared --batches 8 --workers 0 2
    python tools/benchmark_loader.py --videos /datasets/kinetics400/val --out /tmp/loader_bench
"""

from __future__ import annotations

import argparse
import json
import logging
from dataclasses import asdict
from pathlib import Path

import torch

from temporal_ssl.data.index_build import build_index
from temporal_ssl.data.transforms import VideoAugmentation
from temporal_ssl.io.benchmark import write_kinetics_like  # the decode benchmark's generated set
from temporal_ssl.pipeline.loader_benchmark import benchmark_corpus, markdown_table
from temporal_ssl.registry import PRETEXTS

SHARED_VIDEOS = Path(__file__).resolve().parents[1] / ".." / "shared" / "videos"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", nargs="+", choices=["shared", "kinetics"], default=["shared", "kinetics"])
    parser.add_argument("--videos", type=Path, help="benchmark this folder of videos instead")
    parser.add_argument("--kinetics-videos", type=int, default=6,
                        help="videos in the generated Kinetics-like set")
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--batches", type=int, default=10, help="timed batches per configuration")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--frame-stride", type=int, default=2)
    parser.add_argument("--size", type=int, default=112, help="augmented clip side")
    parser.add_argument("--decode-size", type=int, default=128, help="short side frames are decoded at")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--out", type=Path, default=Path("/tmp/temporal_ssl_bench/loader"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(1)  # the main process should not compete with the workers for the cores

    import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)

    corpora = {"videos": args.videos} if args.videos else {}
    if not args.videos and "shared" in args.corpus:
        corpora["shared"] = SHARED_VIDEOS.resolve()
    if not args.videos and "kinetics" in args.corpus:
        corpora["kinetics-like"] = write_kinetics_like(args.out / "kinetics_like", args.kinetics_videos)
    pretext = PRETEXTS.build("arrow_of_time", {"num_frames_per_clip": args.frames,
                                               "frame_stride": args.frame_stride})
    augment = VideoAugmentation(output_size=args.size)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    runs = []
    for name, folder in corpora.items():
        index = build_index("list", folder, cache_dir=args.out / "index" / name, progress=False)
        runs += benchmark_corpus(name, index.records, pretext, augment, batch_size=args.batch_size,
                                 num_batches=args.batches, workers=args.workers, decode_size=args.decode_size,
                                 devices=devices, backend=args.backend)
    table = markdown_table(runs)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "loader_benchmark.md").write_text(table + "\n")
    (args.out / "loader_benchmark.json").write_text(json.dumps([asdict(r) for r in runs], indent=2))
    print(f"\nwrote {args.out / 'loader_benchmark.md'} and {args.out / 'loader_benchmark.json'}")


if __name__ == "__main__":
    main()
