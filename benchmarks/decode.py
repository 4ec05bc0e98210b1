"""Decoding throughput of temporal_ssl's reader against decord, torchcodec and PyAV used clip by clip.

In one run, on the same files and the same seeded clips, measures clips/s, frames/s and peak memory for
(a) one 16-frame clip at stride 2, (b) VCOP's 3 clips of 16 frames with 8-frame gaps, (c) 5 scattered
frames, (d) 4 clips of 8 frames at stride 8 placed independently, (e) a full sequential decode; output
resized to 112x112, single-threaded decoders, one warm-up sample, median and range over repeats. Prints a
markdown table with the ratio temporal_ssl (auto) / fastest raw library per pattern, and each file's probe
cost.

Examples::

    python -m benchmarks.decode                              # a generated Kinetics-like set
    python -m benchmarks.decode --videos /data/my_videos --repeats 5 --json /tmp/decode_bench.json
    python -m benchmarks.decode --videos /data/ucf101/videos --device cuda
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import torch

from benchmarks.decode_patterns import PATTERNS
from benchmarks.decode_runner import run_decode_benchmark
from benchmarks.videos import add_video_arguments, video_files, video_folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_video_arguments(parser)
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=3, help="samples per video and pattern")
    parser.add_argument("--patterns", nargs="+", choices=list(PATTERNS), default=list(PATTERNS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the measurements as JSON here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    torch.set_num_threads(1)
    videos = video_files(video_folder(args))
    result = run_decode_benchmark(videos, device=args.device, repeats=args.repeats,
                                  samples_per_video=args.samples, seed=args.seed, patterns=args.patterns)
    print(result.markdown())
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result.to_dict(), indent=2))
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
