"""Where the benchmarks find their videos: a folder searched recursively, or a generated Kinetics-like set."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from benchmarks.kinetics_like import write_kinetics_like
from benchmarks.videos import add_video_arguments, video_files, video_folder
from temporal_ssl.io import probe_video


def _args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_video_arguments(parser)
    return parser.parse_args(argv)


def test_video_files_are_found_recursively_and_sorted(tmp_path: Path, bframes_video: Path) -> None:
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / "b" / "deeper" / "z.mp4").write_bytes(bframes_video.read_bytes())
    (tmp_path / "a.mp4").write_bytes(bframes_video.read_bytes())
    (tmp_path / "notes.txt").write_text("not a video")
    assert video_files(tmp_path) == [tmp_path / "a.mp4", tmp_path / "b" / "deeper" / "z.mp4"]
    assert video_folder(_args(["--videos", str(tmp_path)])) == tmp_path


def test_missing_or_empty_folders_exit_with_a_message(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no video files in"):
        video_files(tmp_path)
    with pytest.raises(SystemExit, match="not a folder"):
        video_folder(_args(["--videos", str(tmp_path / "missing")]))


def test_generated_set_is_written_once_and_reused(tmp_path: Path) -> None:
    folder = write_kinetics_like(tmp_path, 2, seconds=0.4, fps=10, short_side=64)
    files = video_files(folder)
    metadata = probe_video(files[0])
    assert len(files) == 2 and metadata.num_frames == 4 and min(metadata.height, metadata.width) == 64
    stamps = [f.stat().st_mtime_ns for f in files]
    write_kinetics_like(tmp_path, 2, seconds=0.4, fps=10, short_side=64)
    assert [f.stat().st_mtime_ns for f in files] == stamps
