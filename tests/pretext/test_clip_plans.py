"""Clips of a record as plan views: plain int frame tuples, the record's length and the short-video policy."""

from __future__ import annotations

import numpy as np
import pytest

from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.pretext.clip_plans import clip_frames, clip_views, random_clip_frames


def test_clip_frames_are_plain_int_tuples_following_the_policy(make_record) -> None:
    record = make_record(10)
    clips = clip_frames(record, np.array([0, 6]), num_frames_per_clip=3, frame_stride=2, short_video="loop")
    assert clips == [(0, 2, 4), (6, 8, 0)]  # the second clip wraps past frame 9
    assert all(type(i) is int for clip in clips for i in clip)
    padded = clip_frames(record, [6], num_frames_per_clip=3, frame_stride=2, short_video="repeat_last")
    assert padded == [(6, 8, 9)]
    with pytest.raises(ShortVideoError, match="video has 10 frames but this set of clips needs 11"):
        clip_frames(record, [6], num_frames_per_clip=3, frame_stride=2, short_video="skip")


def test_clip_views_keep_the_order_of_the_starts(make_record) -> None:
    views = clip_views(make_record(50), [30, 5], num_frames_per_clip=4, frame_stride=1, short_video="skip")
    assert [v.frame_indices for v in views] == [(30, 31, 32, 33), (5, 6, 7, 8)]
    assert [(v.role, v.instance, v.camera) for v in views] == [("clip", 0, 0)] * 2


def test_random_clip_frames_cover_every_start_inside_the_video(make_record) -> None:
    record, rng = make_record(12), np.random.default_rng(0)
    firsts = set()
    for _ in range(300):
        frames = random_clip_frames(record, rng, num_frames_per_clip=4, frame_stride=2, short_video="skip")
        assert frames == tuple(range(frames[0], frames[0] + 8, 2)) and frames[-1] <= 11
        firsts.add(frames[0])
    assert firsts == set(range(12 - 7 + 1))
