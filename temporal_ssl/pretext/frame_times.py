"""Presentation times of a video's frames, for pretexts whose rules are in seconds.

Time-contrastive radii may be given in seconds and multi-camera views are synchronised by timestamp, so both
need each frame's time. The probe's frame table gives exact times (variable frame rate included); without one
the times are ``index / fps``.
"""

from __future__ import annotations

import numpy as np

from temporal_ssl.types import VideoMetadata


def frame_times_seconds(metadata: VideoMetadata) -> np.ndarray:
    """float64 ``[num_frames]``: time of each frame relative to frame 0, in seconds."""
    table = metadata.frame_table
    if table is not None:
        pts = table.all_pts()
        return (pts - pts[0]) * table.time_base if len(pts) else np.zeros(0)
    if metadata.fps <= 0:
        raise ValueError(
            f"'{metadata.path}' has no frame table and fps={metadata.fps}; cannot place its frames in "
            "time. Rebuild the index (tools/build_index.py) so the probe records timestamps"
        )
    return np.arange(metadata.num_frames, dtype=np.float64) / metadata.fps


def nearest_frames(times: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """int64 indices of the frames whose times are nearest to ``seconds`` (ties go to the earlier frame).

    Args:
        times: sorted frame times ``[L]`` from :func:`frame_times_seconds`.
        seconds: query times, any shape.
    """
    query = np.asarray(seconds, dtype=np.float64)
    after = np.clip(np.searchsorted(times, query, side="left"), 0, len(times) - 1)
    before = np.clip(after - 1, 0, len(times) - 1)
    take_before = np.abs(times[before] - query) <= np.abs(times[after] - query)
    return np.where(take_before, before, after).astype(np.int64)
