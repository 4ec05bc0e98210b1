"""Small generated videos the benchmark tests run on (written once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.io_matrix import SPECS
from tests.helpers.video_factory import write_video


@pytest.fixture(scope="session")
def bframes_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """90 frames of H.264 with B-frames and a keyframe every 24 frames, 96x64."""
    spec = SPECS["h264_bframes"]
    return write_video(tmp_path_factory.mktemp("benchmark_videos") / spec.filename, spec)
