"""Where an order pretext's frames come from: a window chosen where the video moves.

Shuffle & Learn and OPN draw their tuples "from high-motion windows" (optical-flow magnitude in the papers): a
tuple of a
static shot is unorderable. The probe stores a per-frame motion profile in ``VideoMetadata.motion``;
:func:`temporal_ssl.pretext.motion.motion_weighted_starts` turns it into a window choice. Without a profile
(``motion`` is ``None``) the window is uniform. A video shorter than the window follows ``short_video``.
"""

from __future__ import annotations

import numpy as np

from temporal_ssl.data.clip_sampling import ShortVideoPolicy, clip_starts_random
from temporal_ssl.pretext.motion import motion_weighted_starts
from temporal_ssl.types import VideoRecord


def motion_window_start(
    record: VideoRecord,
    window_frames: int,
    rng: np.random.Generator,
    *,
    min_percentile: float = 0.0,
    temperature: float | None = None,
    short_video: ShortVideoPolicy = "skip",
) -> int:
    """First frame of a window of ``window_frames`` consecutive frames, favouring motion.

    Args:
        record: the video; its ``metadata.motion`` profile weights the choice when present.
        window_frames: frames the window spans.
        rng: the sample's generator.
        min_percentile, temperature: see ``motion_weighted_starts`` (0 and ``None`` = uniform).
        short_video: policy when the video has fewer than ``window_frames`` frames (``skip`` raises
            ``ShortVideoError``; otherwise the start is 0, or uniform for ``loop``, and the caller maps
            indices past the end with ``clips_from_starts``).
    """
    num_frames = record.num_frames
    if num_frames < window_frames:
        return int(
            clip_starts_random(
                num_frames, num_frames_per_clip=window_frames, rng=rng, short_video=short_video
            )[0]
        )
    return int(
        motion_weighted_starts(
            record.metadata.motion,
            window_frames,
            1,
            rng,
            num_frames=num_frames,
            min_percentile=min_percentile,
            temperature=temperature,
        )[0]
    )
