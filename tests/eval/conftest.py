"""Eval fixtures: labeled barcode videos (two codecs, three lengths) and one that breaks after indexing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from temporal_ssl.io import probe_video
from temporal_ssl.types import VideoRecord
from tests.helpers.video_factory import VideoSpec, write_video

SPECS = [
    VideoSpec(
        f"clip{i}",
        codec="libx264" if i % 2 else "mpeg4",
        num_frames=24 + 6 * (i % 3),
        height=40,
        width=48,
        gop=8,
        max_b_frames=2 if i % 2 else None,
    )
    for i in range(6)
]


@pytest.fixture(scope="session")
def labeled_records(tmp_path_factory: pytest.TempPathFactory) -> list[VideoRecord]:
    """Six probed videos, labels 0, 1, 2, 0, 1, 2."""
    root = tmp_path_factory.mktemp("eval_videos")
    return [
        VideoRecord(
            index=i,
            metadata=probe_video(write_video(root / s.filename, s)),
            label=i % 3,
            class_name=f"class{i % 3}",
        )
        for i, s in enumerate(SPECS)
    ]


@pytest.fixture(scope="session")
def records_with_a_broken_video(
    tmp_path_factory: pytest.TempPathFactory, labeled_records: list[VideoRecord]
) -> tuple[list[VideoRecord], str]:
    """The six records with video 2 overwritten by garbage after it was probed: (records, broken path)."""
    root = tmp_path_factory.mktemp("eval_broken")
    broken = root / "broken.mp4"
    broken.write_bytes(b"\x00 not a video \xff" * 100)
    records = list(labeled_records)
    records[2] = replace(records[2], metadata=replace(records[2].metadata, path=str(broken)))
    return records, str(broken)
