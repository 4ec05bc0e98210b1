"""Clip sampling against closed-form counts and positions (PyTorchVideo-style tables), policies,
determinism."""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np
import pytest

from temporal_ssl.data.clip_sampling import (
    ShortVideoError,
    clip_indices,
    clip_span,
    clip_starts_consecutive,
    clip_starts_constant,
    clip_starts_multi,
    clip_starts_random,
    clip_starts_uniform,
    num_clip_starts,
)


@pytest.mark.parametrize(("num_frames_per_clip", "frame_stride", "span"), [(16, 1, 16), (16, 2, 31), (8, 8,
                                                                                                      57),
                                                                           (1, 5, 1)])
def test_clip_span_closed_form(num_frames_per_clip: int, frame_stride: int, span: int) -> None:
    assert clip_span(num_frames_per_clip, frame_stride) == span
    indices = clip_indices(3, num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride)
    assert indices[0] == 3 and indices[-1] - indices[0] + 1 == span and len(indices) == num_frames_per_clip


@pytest.mark.parametrize(("num_frames", "num_clips", "num_frames_per_clip", "frame_stride"),
                         [(100, 10, 16, 1), (64, 10, 16, 1), (250, 5, 16, 2), (16, 3, 16, 1), (17, 10, 16,
                                                                                               1)])
def test_uniform_starts_are_vcop_linspace(num_frames: int, num_clips: int, num_frames_per_clip: int,
                                          frame_stride: int) -> None:
    span = (num_frames_per_clip - 1) * frame_stride + 1
    starts = clip_starts_uniform(num_frames, num_clips=num_clips, num_frames_per_clip=num_frames_per_clip,
                                 frame_stride=frame_stride)
    # exact rational linspace from 0 to L - span (VCOP: centres span/2 .. L - span/2)
    expected = [int(Fraction(k * (num_frames - span), num_clips - 1)) for k in range(num_clips)]
    assert starts.tolist() == expected
    assert starts[0] == 0 and starts[-1] == num_frames - span


@pytest.mark.parametrize(("num_frames", "num_clips"), [(100, 4), (40, 10), (30, 20), (17, 1)])
def test_constant_starts_segment_centres_and_random_offsets(num_frames: int, num_clips: int) -> None:
    count = num_clip_starts(num_frames, num_frames_per_clip=8)
    centres = clip_starts_constant(num_frames, num_clips=num_clips, num_frames_per_clip=8)
    assert centres.tolist() == [int(Fraction(2 * k + 1, 2 * num_clips) * count) for k in range(num_clips)]
    rng = np.random.default_rng(0)
    for _ in range(50):
        starts = clip_starts_constant(num_frames, num_clips=num_clips, num_frames_per_clip=8, rng=rng)
        width = count // num_clips
        if width:
            k = np.arange(num_clips)
            assert np.all((starts >= k * width) & (starts < (k + 1) * width))
        else:
            assert np.all(np.diff(starts) >= 0) and starts.max() < count


def test_random_starts_cover_exactly_the_valid_range() -> None:
    rng = np.random.default_rng(1)
    starts = clip_starts_random(40, num_frames_per_clip=16, frame_stride=2, num_clips=5000, rng=rng)
    assert starts.min() == 0 and starts.max() == 40 - 31  # all 10 positions drawn, none outside
    assert len(np.unique(starts)) == 10


def test_consecutive_starts_follow_vcop_tuple_rule() -> None:
    starts = clip_starts_consecutive(5, num_clips=3, num_frames_per_clip=16, clip_gap_frames=8)
    assert starts.tolist() == [5, 29, 53]  # start + k * (16 + 8); the tuple spans 16*3 + 8*2 = 64 frames
    assert starts[-1] + 16 - starts[0] == 64


def test_multi_clip_gaps_obey_bounds() -> None:
    rng = np.random.default_rng(2)
    for _ in range(200):
        starts = clip_starts_multi(200, num_clips=3, num_frames_per_clip=8, frame_stride=2, rng=rng,
                                   min_clip_gap_frames=0, max_clip_gap_frames=40, fallback="raise")
        gaps = np.diff(np.sort(starts)) - 15
        assert np.all(gaps >= 0) and np.all(gaps <= 40)


def test_multi_clip_tight_bounds_are_met_by_placing_clip_after_clip() -> None:
    # Gaps in [5, 20] between three 15-frame clips of a 200-frame video: a whole random set fits only ~3 % of
    # the time, so redrawing whole sets (100 tries) fails ~4 % of the samples; PySlowFast's rule redraws each
    # clip against the ones already placed and always finds a valid set here.
    rng = np.random.default_rng(5)
    spreads = set()
    for _ in range(300):
        starts = clip_starts_multi(200, num_clips=3, num_frames_per_clip=8, frame_stride=2, rng=rng,
                                   min_clip_gap_frames=5, max_clip_gap_frames=20, fallback="raise")
        gaps = np.diff(np.sort(starts)) - 15
        assert len(starts) == 3 and starts.min() >= 0 and starts.max() <= 200 - 15
        assert np.all(gaps >= 5) and np.all(gaps <= 20), starts
        spreads.add(int(starts.max() - starts.min()))
    assert len(spreads) > 10  # still random placements, not one fixed layout


def test_multi_clip_without_a_valid_set_keeps_the_least_violating_one() -> None:
    # min gap 500 cannot be met in 100 frames: the fallback keeps the set whose gaps are largest, i.e. the
    # clips spread as far apart as the draws allowed (a random set's spread averages about a third of that).
    rng = np.random.default_rng(6)
    spreads = []
    for _ in range(20):
        starts = clip_starts_multi(100, num_clips=3, num_frames_per_clip=8, frame_stride=2, rng=rng,
                                   min_clip_gap_frames=500)
        assert len(starts) == 3 and starts.min() >= 0 and starts.max() <= 100 - 15
        spreads.append(int(starts.max() - starts.min()))
    assert min(spreads) > 60


def test_multi_clip_infeasible_bounds_follow_fallback() -> None:
    rng = np.random.default_rng(3)
    # three non-overlapping 16-frame clips with >= 10-frame gaps need 68 frames; 60 cannot hold them
    with pytest.raises(ShortVideoError, match=re.escape("needs 68")):
        clip_starts_multi(60, num_clips=3, num_frames_per_clip=16, rng=rng, min_clip_gap_frames=10,
                          fallback="raise")
    starts = clip_starts_multi(60, num_clips=3, num_frames_per_clip=16, rng=rng, min_clip_gap_frames=10)
    assert len(starts) == 3 and starts.max() <= 60 - 16  # last draw: still valid clip positions


def test_short_video_policies() -> None:
    loop = clip_indices(0, num_frames_per_clip=8, frame_stride=1, num_frames=5, short_video="loop")
    assert loop.tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    last = clip_indices(0, num_frames_per_clip=8, frame_stride=1, num_frames=5, short_video="repeat_last")
    assert last.tolist() == [0, 1, 2, 3, 4, 4, 4, 4]
    with pytest.raises(ShortVideoError, match="video has 5 frames but a clip needs 8"):
        clip_starts_random(5, num_frames_per_clip=8, rng=np.random.default_rng(0))
    with pytest.raises(ShortVideoError):
        clip_indices(0, num_frames_per_clip=8, num_frames=5)
    error = pytest.raises(ShortVideoError, clip_starts_uniform, 0, num_clips=2, num_frames_per_clip=1,
                          short_video="loop").value
    assert error.num_frames == 0  # no frame at all cannot be looped
    assert clip_starts_uniform(5, num_clips=3, num_frames_per_clip=8,
                               short_video="repeat_last").tolist() == [0] * 3
    starts = clip_starts_random(5, num_frames_per_clip=8, num_clips=200, rng=np.random.default_rng(0),
                                short_video="loop")
    assert set(starts.tolist()) == {0, 1, 2, 3, 4}


def test_short_video_error_says_only_what_clip_sampling_knows() -> None:
    skipped = pytest.raises(ShortVideoError, clip_starts_random, 5, num_frames_per_clip=8,
                            rng=np.random.default_rng(0)).value
    assert str(skipped) == "video has 5 frames but a clip needs 8"  # no guess at the pretext's options
    assert skipped.skipped_by_policy  # 'loop' or 'repeat_last' would have made a clip
    empty = pytest.raises(ShortVideoError, clip_indices, 0, num_frames_per_clip=4, num_frames=0,
                          short_video="loop").value
    assert not empty.skipped_by_policy  # no policy makes a clip of nothing
    gaps = pytest.raises(ShortVideoError, clip_starts_multi, 60, num_clips=3, num_frames_per_clip=16,
                         rng=np.random.default_rng(0), min_clip_gap_frames=10, fallback="raise").value
    assert not gaps.skipped_by_policy
    named = skipped.for_video("a/b.mp4", what="a clip of pretext 'x'", remedy="use longer videos")
    assert str(named) == "video 'a/b.mp4' has 5 frames but a clip of pretext 'x' needs 8; use longer videos"
    assert (named.num_frames, named.num_frames_needed, named.skipped_by_policy) == (5, 8, True)


def test_sampling_is_deterministic_and_leaves_global_rng_alone() -> None:
    state = np.random.get_state()[1].copy()
    first = clip_starts_multi(500, num_clips=4, num_frames_per_clip=16, rng=np.random.default_rng(7),
                              min_clip_gap_frames=5)
    again = clip_starts_multi(500, num_clips=4, num_frames_per_clip=16, rng=np.random.default_rng(7),
                              min_clip_gap_frames=5)
    other = clip_starts_multi(500, num_clips=4, num_frames_per_clip=16, rng=np.random.default_rng(8),
                              min_clip_gap_frames=5)
    assert first.tolist() == again.tolist() and first.tolist() != other.tolist()
    assert np.array_equal(np.random.get_state()[1], state)


def test_invalid_options_name_the_option() -> None:
    with pytest.raises(ValueError, match="num_frames_per_clip must be an integer >= 1, got 0"):
        clip_span(0)
    with pytest.raises(ValueError, match="short_video='wrap' is not one of loop, repeat_last, skip"):
        clip_starts_uniform(10, num_clips=1, num_frames_per_clip=4,
                            short_video="wrap")  # type: ignore[arg-type]
