"""Video records that exist only in memory (no file), with real frame timestamps, for pure plan tests."""

from __future__ import annotations

from collections.abc import Sequence

from temporal_ssl.frame_table import FrameTable
from temporal_ssl.types import CameraStream, VideoMetadata, VideoRecord


def memory_metadata(
    num_frames: int,
    *,
    fps: float = 25.0,
    path: str = "memory/video.mp4",
    motion: Sequence[float] | None = None,
    pts: Sequence[int] | None = None,
    time_base: float = 1 / 90000,
) -> VideoMetadata:
    """Metadata of a video that exists only in memory; ``pts`` (``time_base`` units) gives timestamps."""
    if pts is None:
        step = round(1 / (fps * time_base))
        pts = [i * step for i in range(num_frames)]
    table = FrameTable.from_pts(pts, time_base, [0])
    return VideoMetadata(
        path=path,
        num_frames=num_frames,
        fps=fps,
        width=64,
        height=48,
        duration_seconds=num_frames / fps,
        codec="h264",
        frame_table=table,
        motion=None if motion is None else tuple(float(m) for m in motion),
    )


def camera_record(specs: Sequence[tuple[int, float, float]]) -> VideoRecord:
    """A multi-camera record from ``(num_frames, fps, offset_seconds)`` per camera."""
    streams = tuple(
        CameraStream(memory_metadata(n, fps=fps, path=f"memory/cam{c}.mp4"), offset)
        for c, (n, fps, offset) in enumerate(specs)
    )
    return VideoRecord(index=3, metadata=streams[0].metadata, cameras=streams)
