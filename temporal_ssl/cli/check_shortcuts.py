"""Check whether a video corpus lets a model read the direction of time from trivial frame statistics.

Trains a logistic regression on per-frame brightness, contrast, sharpness, border brightness and
frame-difference energy (and their changes) to tell forward clips from reversed ones, on held-out videos.
About 50% means no such shortcut; clearly more means an order or arrow-of-time pretext can cheat (lossy
codecs, fades, brightness drifts and borders all leak), so re-encode, crop or augment before pretraining.

Examples:
    # the synthetic corpus (camera 0 of every pretraining scene)
    python tools/check_shortcuts.py data/synthetic/pretrain --pattern "*/cam0.mp4"
    # a folder of real videos, two windows of 16 frames per video, report as JSON too
    python tools/check_shortcuts.py /data/UCF101/videos --pattern "**/*.avi" --clips-per-video 2 \\
        --max-videos 2000 --json shortcut_report.json
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from temporal_ssl.synthetic.shortcut_check import check_video_time_shortcuts


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="folder searched for videos")
    parser.add_argument("--pattern", default="**/*.mp4", help="glob under the folder (default %(default)s)")
    parser.add_argument("--clip-frames", type=int, default=16, help="frames per window (default %(default)s)")
    parser.add_argument("--clips-per-video", type=int, default=1)
    parser.add_argument("--max-videos", type=int, default=None, help="use a random subset of this size")
    parser.add_argument("--max-side", type=int, default=128, help="shrink frames to this longer side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    videos = sorted(args.folder.glob(args.pattern))
    if not videos:
        raise SystemExit(f"no file matches '{args.pattern}' under '{args.folder}'; check --pattern")
    if args.max_videos is not None and len(videos) > args.max_videos:
        videos = sorted(random.Random(args.seed).sample(videos, args.max_videos))
    report = check_video_time_shortcuts(videos, clip_frames=args.clip_frames,
                                        clips_per_video=args.clips_per_video, max_side=args.max_side,
                                        seed=args.seed)
    print(report.summary())
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_dict(), indent=2))
        print(f"report written to {args.json}")
    return 0
