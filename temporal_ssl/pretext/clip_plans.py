"""Clips of a record as plan views: the step every clip-based pretext's ``plan`` ends with.

``data.clip_sampling`` decides where clips start; these helpers turn starts into the plain ``int`` frame
tuples a :class:`~temporal_ssl.types.ViewPlan` holds, applying the pretext's short-video policy against the
record's frame count, so every pretext cuts clips the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from temporal_ssl.data.clip_sampling import ShortVideoPolicy, clip_starts_random, clips_from_starts
from temporal_ssl.types import VideoRecord, ViewPlan


def clip_frames(record: VideoRecord, starts: Sequence[int] | np.ndarray, *, num_frames_per_clip: int,
                frame_stride: int, short_video: ShortVideoPolicy) -> list[tuple[int, ...]]:
    """Frame indices of the clips starting at ``starts`` in ``record``, one tuple of ``T`` ints per clip.

    Args:
        record: the video (its frame count bounds the indices).
        starts: first frame of each clip.
        num_frames_per_clip: ``T``.
        frame_stride: frame step inside a clip.
        short_video: what indices past the last frame become (``data.clip_sampling``).
    """
    clips = clips_from_starts(starts, num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride,
                              num_frames=record.num_frames, short_video=short_video)
    return [tuple(int(i) for i in clip) for clip in clips]


def random_clip_frames(record: VideoRecord, rng: np.random.Generator, *, num_frames_per_clip: int,
                       frame_stride: int, short_video: ShortVideoPolicy) -> tuple[int, ...]:
    """The frames of one clip at a uniformly random start inside ``record`` (see :func:`clip_frames`)."""
    start = clip_starts_random(record.num_frames, num_frames_per_clip=num_frames_per_clip,
                               frame_stride=frame_stride, rng=rng, short_video=short_video)
    return clip_frames(record, start, num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride,
                       short_video=short_video)[0]


def clip_views(record: VideoRecord, starts: Sequence[int] | np.ndarray, *, num_frames_per_clip: int,
               frame_stride: int, short_video: ShortVideoPolicy, role: str = "clip") -> tuple[ViewPlan, ...]:
    """One view of role ``role`` (instance 0) per clip starting at ``starts``, in the order of ``starts``."""
    clips = clip_frames(record, starts, num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride,
                        short_video=short_video)
    return tuple(ViewPlan(role, frames) for frames in clips)
