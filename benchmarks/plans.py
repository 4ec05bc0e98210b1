"""Is sampling free next to decoding? Time each pretext's plan + make_example against decoding the same plans.

For every registered pretext (default options) on a folder of videos (default: a generated Kinetics-like
set), the same samples are planned, decoded with ``temporal_ssl.pipeline.decode.decode_views`` (as the
training pipeline does, frames resized while decoding to ``--decode-size`` short side) and turned into
examples; the table gives the mean time per sample of each step and the ratio (plan + make_example) / decode.
The target is under 5 %. ``multiview_tcn`` pairs consecutive videos of the folder as the cameras of a scene.

Examples::

    python -m benchmarks.plans                          # a generated Kinetics-like set
    python -m benchmarks.plans --samples 16 --pretexts vcop cvrl
    python -m benchmarks.plans --videos /datasets/kinetics400/val_subset
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
from pathlib import Path

import numpy as np
import torch

import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from benchmarks.videos import add_video_arguments, video_folder
from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.data.index_build import build_index
from temporal_ssl.pipeline.dataset import decode_size_for
from temporal_ssl.pipeline.decode import decode_views
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import CameraStream, VideoRecord


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_video_arguments(parser)
    parser.add_argument(
        "--pretexts", nargs="+", default=None, help="pretext names (default: every registered)"
    )
    parser.add_argument("--samples", type=int, default=12, help="timed samples per pretext")
    parser.add_argument("--decode-size", type=int, default=128, help="short side frames are decoded at")
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--out", type=Path, default=Path("/tmp/temporal_ssl_bench/plans"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    torch.set_num_threads(1)

    folder = video_folder(args)
    names = args.pretexts or PRETEXTS.names()
    index = build_index("list", folder, cache_dir=args.out / "index", progress=False, workers=1)
    records = list(index.records)
    rows = [(folder.name, name, *time_pretext(name, records, args)) for name in names]
    columns = [
        "corpus",
        "pretext",
        "samples",
        "plan (µs)",
        "make_example (µs)",
        "decode (ms)",
        "(plan + example) / decode",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for corpus, name, count, plan_s, example_s, decode_s in rows:
        ratio = (plan_s + example_s) / decode_s if decode_s else float("nan")
        times = f"{plan_s * 1e6:.0f} | {example_s * 1e6:.0f} | {decode_s * 1e3:.1f}"
        print(f"| {corpus} | {name} | {count} | {times} | {100 * ratio:.2f} % |")


def time_pretext(
    name: str, records: list[VideoRecord], args: argparse.Namespace
) -> tuple[int, float, float, float]:
    """Mean seconds per sample of plan, make_example and decode (``args.samples`` samples after a warm-up)."""
    pretext = PRETEXTS.build(name, {})
    if name == "multiview_tcn":
        records = [
            VideoRecord(i, a.metadata, cameras=(CameraStream(a.metadata), CameraStream(b.metadata)))
            for i, (a, b) in enumerate(zip(records, records[1:] + records[:1], strict=True))
        ]
    rng = np.random.default_rng(0)
    plan_times, example_times, decode_times = [], [], []
    for position in range(args.samples + 1):
        record = records[position % len(records)]
        try:
            started = time.perf_counter()
            plan = pretext.plan(record, rng)
            planned = time.perf_counter()
        except ShortVideoError:
            continue
        views = decode_views(plan, size=decode_size_for(record, args.decode_size), backend=args.backend)
        decoded = time.perf_counter()
        pretext.make_example(views, plan, rng)
        finished = time.perf_counter()
        if position > 0:  # the first sample warms up the decoders
            plan_times.append(planned - started)
            decode_times.append(decoded - planned)
            example_times.append(finished - decoded)
    if not plan_times:
        return 0, float("nan"), float("nan"), float("nan")
    return (
        len(plan_times),
        statistics.fmean(plan_times),
        statistics.fmean(example_times),
        statistics.fmean(decode_times),
    )


if __name__ == "__main__":
    main()
