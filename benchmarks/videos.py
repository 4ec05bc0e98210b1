"""The videos a benchmark runs on: a folder the user names, or a generated Kinetics-like set."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from benchmarks.kinetics_like import write_kinetics_like
from temporal_ssl.data.sources.listing import walk_videos

GENERATED_FOLDER = Path(tempfile.gettempdir()) / "temporal_ssl_benchmarks" / "kinetics_like"


def add_video_arguments(parser: argparse.ArgumentParser, *, generated: int = 6) -> None:
    """``--videos DIR``, and where and how many Kinetics-like videos to generate when it is not given."""
    parser.add_argument("--videos", type=Path, help="folder of videos to run on (searched recursively); "
                                                    "default: a generated Kinetics-like set")
    parser.add_argument("--generated-dir", type=Path, default=GENERATED_FOLDER,
                        help="where the Kinetics-like set is written once and reused (default: %(default)s)")
    parser.add_argument("--generated-videos", type=int, default=generated,
                        help="videos in the generated set (default: %(default)s)")


def video_folder(args: argparse.Namespace) -> Path:
    """``args.videos``, or the generated Kinetics-like set (written on first use)."""
    if args.videos is not None:
        if not args.videos.is_dir():
            raise SystemExit(f"--videos {args.videos}: not a folder")
        return args.videos
    print(f"no --videos given: using the Kinetics-like set in {args.generated_dir} "
          f"(H.264, short side 256, 10 s at 25 fps; generated on first use)", flush=True)
    return write_kinetics_like(args.generated_dir, args.generated_videos)


def video_files(folder: Path) -> list[Path]:
    """Every video file under ``folder``, sorted; exits with a message when there is none."""
    files = list(walk_videos(folder))
    if not files:
        raise SystemExit(f"no video files in {folder}")
    return files
