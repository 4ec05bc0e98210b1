"""Decoding throughput of temporal_ssl's reader against decord, torchcodec and PyAV used clip by clip.

In one run, on the same files and the same seeded clips, measures clips/s, frames/s and peak memory for
(a) one 16-frame clip at stride 2, (b) VCOP's 3 clips of 16 frames with 8-frame gaps, (c) 5 scattered
frames, (d) 4 clips of 8 frames at stride 8 placed independently, (e) a full sequential decode; output
resized to 112x112, single-threaded decoders, one warm-up sample, median and range over repeats. Prints a
markdown table with the ratio temporal_ssl (auto) / fastest raw library per pattern, and each file's probe
cost.

Examples::

    python tools/benchmark_decode.py --videos ../shared/videos
    python tools/benchmark_decode.py --make-kinetics-like /tmp/kinetics_like --videos /tmp/kinetics_like
    python tools/benchmark_decode.py --videos ../shared/videos --repeats 5 --json /tmp/decode_bench.json
    python tools/benchmark_decode.py --videos /data/ucf101/videos --device cuda
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import torch

from temporal_ssl.io.benchmark import PATTERNS, run_decode_benchmark, write_kinetics_like

VIDEO_SUFFIXES = {".mp4", ".avi", ".mkv", ".mov", ".webm", ".ogv", ".mpg", ".ts", ".m4v", ".flv"}

__all__ = ["write_kinetics_like"]  # tools/benchmark_loader.py reuses the generated set


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=Path, help="folder of videos to benchmark")
    parser.add_argument("--make-kinetics-like", type=Path, metavar="DIR",
                        help="first write a Kinetics-like set (H.264, short side 256, 10 s) into DIR")
    parser.add_argument("--num-kinetics-like", type=int, default=6, help="videos in the generated set")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=3, help="samples per video and pattern")
    parser.add_argument("--patterns", nargs="+", choices=list(PATTERNS), default=list(PATTERNS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the measurements as JSON here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    torch.set_num_threads(1)
    if args.make_kinetics_like:
        folder = write_kinetics_like(args.make_kinetics_like, args.num_kinetics_like)
        print(f"Kinetics-like set in {folder}")
    if args.videos is None:
        if not args.make_kinetics_like:
            parser.error("give --videos DIR (and/or --make-kinetics-like DIR)")
        return
    videos = sorted(p for p in args.videos.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
    if not videos:
        sys.exit(f"no video files ({', '.join(sorted(VIDEO_SUFFIXES))}) in {args.videos}")
    result = run_decode_benchmark(videos, device=args.device, repeats=args.repeats,
                                  samples_per_video=args.samples, seed=args.seed, patterns=args.patterns)
    print(result.markdown())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_dict(), indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
