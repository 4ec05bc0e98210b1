"""Fixtures for pretext tests: in-memory records (no files) and a few generated barcode videos."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from temporal_ssl.types import CameraStream, VideoRecord
from tests.helpers.video_factory import VideoSpec, write_video
from tests.pretext.memory_records import memory_metadata

RecordFactory = Callable[..., VideoRecord]


@pytest.fixture
def make_record() -> RecordFactory:
    """``make_record(num_frames, fps=..., motion=..., pts=...)`` → a single-camera in-memory record."""

    def build(num_frames: int, **kwargs: object) -> VideoRecord:
        return VideoRecord(index=7, metadata=memory_metadata(num_frames, **kwargs))  # type: ignore[arg-type]

    return build


@pytest.fixture(scope="session")
def barcode_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated barcode videos: ``long.mp4`` (100 frames, 25 fps) and a two-camera scene ``cam0/cam1`` at
    25 and 30 fps (frames carry their index, see ``tests/helpers/video_factory.py``)."""
    root = tmp_path_factory.mktemp("pretext_videos")
    write_video(root / "long.mp4", VideoSpec("long", num_frames=100, height=48, width=64, gop=12))
    write_video(root / "cam0.mp4", VideoSpec("cam0", num_frames=60, height=48, width=64, fps=25, gop=10))
    write_video(root / "cam1.mp4", VideoSpec("cam1", num_frames=72, height=48, width=64, fps=30, gop=10))
    return root


@pytest.fixture(scope="session")
def barcode_records(barcode_dir: Path) -> dict[str, VideoRecord]:
    """Probed records of the barcode videos: ``single`` (long.mp4), ``scene`` (two synchronised cameras)."""
    from temporal_ssl.io import probe_video

    single = probe_video(barcode_dir / "long.mp4")
    cam0, cam1 = probe_video(barcode_dir / "cam0.mp4"), probe_video(barcode_dir / "cam1.mp4")
    scene = VideoRecord(index=1, metadata=cam0, cameras=(CameraStream(cam0, 0.0), CameraStream(cam1, 0.1)))
    return {"single": VideoRecord(index=0, metadata=single), "scene": scene}
