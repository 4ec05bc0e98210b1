"""Plan invariants of the order pretexts: Shuffle & Learn, OPN, VCOP, arrow of time, playback speed."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest
import torch

from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.errors import ConfigError
from temporal_ssl.pretext.frame_order.arrow_of_time import ArrowOfTime
from temporal_ssl.pretext.frame_order.opn import OrderPrediction, jitter_frames, split_channels
from temporal_ssl.pretext.frame_order.permutations import permutation_to_reversal_class
from temporal_ssl.pretext.frame_order.playback_speed import PlaybackSpeed
from temporal_ssl.pretext.frame_order.shuffle_and_learn import ShuffleAndLearn
from temporal_ssl.pretext.frame_order.vcop import ClipOrderPrediction
from temporal_ssl.types import SamplePlan


def shown_frames(plan: SamplePlan) -> list[int]:
    return [v.frame_indices[0] for v in plan.views]


def fake_views(plan: SamplePlan, height: int = 12, width: int = 10) -> list[torch.Tensor]:
    """Decoded-looking views whose pixels hold the frame index (so pixel operations can be traced)."""
    return [
        torch.tensor(v.frame_indices, dtype=torch.uint8)
        .view(-1, 1, 1, 1)
        .expand(-1, 3, height, width)
        .clone()
        for v in plan.views
    ]


# --- Shuffle & Learn
# -------------------------------------------------------------------------------------------


def test_shuffle_and_learn_labels_follow_the_order_rule(make_record) -> None:
    pretext = ShuffleAndLearn(max_positive_gap=20, min_negative_gap=5, motion_min_percentile=0.0)
    record = make_record(200)
    rng = np.random.default_rng(0)
    targets, reversed_positives = [], 0
    for _ in range(2000):
        plan = pretext.plan(record, rng)
        first, middle, last = shown_frames(plan)
        ordered = first < middle < last or first > middle > last
        assert plan.target == int(ordered)
        assert [v.order for v in plan.views] == list(np.argsort(np.argsort([first, middle, last])))
        assert 2 <= abs(last - first) <= 20  # the outer frames are b and d in both classes
        if plan.target == 1:
            reversed_positives += first > last
        else:
            # negatives (b, a, d) / (b, e, d), either way round: the odd frame is outside [b, d] and at least
            # tau_min from it
            low, high = min(first, last), max(first, last)
            assert middle < low or middle > high
            assert min(abs(middle - low), abs(middle - high)) >= 5
        targets.append(plan.target)
    share = np.mean(targets)
    assert 0.22 < share < 0.28  # 25 % positives
    assert 0.4 < reversed_positives / sum(targets) < 0.6  # the reverse counts as ordered, half of the time


@pytest.mark.parametrize("positive_fraction", [0.25, 0.5])
def test_shuffle_and_learn_label_is_independent_of_the_outer_frames_order(make_record,
                                                                           positive_fraction: float) -> None:
    """Which outer frame comes first must not predict the label: a 2x2 table of (label, first > last) over
    many plans has the positive share equal in both columns (the old sampler never reversed a negative)."""
    pretext = ShuffleAndLearn(max_positive_gap=16, min_negative_gap=4, motion_min_percentile=0.0,
                              positive_fraction=positive_fraction)
    record = make_record(64)
    rng = np.random.default_rng(3)
    table = np.zeros((2, 2), dtype=int)  # [target, first > last]
    for _ in range(4000):
        plan = pretext.plan(record, rng)
        first, _, last = shown_frames(plan)
        table[plan.target, int(first > last)] += 1
    assert table.min() > 0.2 * 4000 * min(positive_fraction, 1 - positive_fraction)
    positive_share = table[1] / table.sum(axis=0)  # P(positive | first < last), P(positive | first > last)
    assert abs(positive_share[0] - positive_share[1]) < 0.04
    assert abs(table[:, 1].sum() / table.sum() - 0.5) < 0.03  # each direction half of the time


def test_shuffle_and_learn_windows_follow_motion(make_record) -> None:
    motion = np.zeros(300)
    motion[100:200] = 5.0  # only frames 100..199 move
    record = make_record(300, motion=motion)
    pretext = ShuffleAndLearn(max_positive_gap=60, min_negative_gap=15, motion_min_percentile=95.0)
    uniform = ShuffleAndLearn(max_positive_gap=60, min_negative_gap=15, motion_min_percentile=0.0)
    rng = np.random.default_rng(1)
    for _ in range(300):
        frames = pretext.sample_frames(record, rng)
        assert 99 <= frames[0] and frames[-1] <= 199  # windows fully inside the moving stretch
    outside = [uniform.sample_frames(record, rng) for _ in range(300)]
    assert any(f[0] < 99 or f[-1] > 199 for f in outside)


def test_shuffle_and_learn_motion_guard_rejects_static_tuples(make_record) -> None:
    motion = np.where(np.arange(400) % 40 < 20, 0.0, 1.0)  # static and moving stretches alternate
    record = make_record(400, motion=motion)
    cumulative = np.concatenate([[0.0], np.cumsum(motion)])

    def passes(frames: tuple[int, ...]) -> bool:
        return all(cumulative[j + 1] - cumulative[i + 1] >= 2.0 for i, j in itertools.pairwise(frames))

    guarded = ShuffleAndLearn(
        max_positive_gap=12, min_negative_gap=3, motion_min_percentile=0.0, min_frame_change=2.0
    )
    free = ShuffleAndLearn(max_positive_gap=12, min_negative_gap=3, motion_min_percentile=0.0)
    rng = np.random.default_rng(2)
    guarded_share = np.mean([passes(guarded.sample_frames(record, rng)) for _ in range(400)])
    free_share = np.mean([passes(free.sample_frames(record, rng)) for _ in range(400)])
    assert guarded_share > 0.9 and free_share < 0.3


def test_shuffle_and_learn_rejects_short_videos_and_bad_options(make_record) -> None:
    with pytest.raises(ShortVideoError, match="needs 33"):
        ShuffleAndLearn().plan(make_record(32), np.random.default_rng(0))
    with pytest.raises(ConfigError, match=re.escape("pretext.options.window_frames = 10")):
        ShuffleAndLearn(min_negative_gap=5, window_frames=10)
    with pytest.raises(ConfigError, match="positive_fraction"):
        ShuffleAndLearn(positive_fraction=1.5)


# --- OPN
# -------------------------------------------------------------------------------------------------------


def test_opn_target_is_the_reversal_class_of_the_shown_order(make_record) -> None:
    pretext = OrderPrediction(frame_stride=3, motion_min_percentile=0.0)
    record = make_record(60)
    rng = np.random.default_rng(3)
    seen_orders = set()
    for _ in range(500):
        plan = pretext.plan(record, rng)
        frames = shown_frames(plan)
        ordered = sorted(frames)
        assert np.all(np.diff(ordered) == 3)  # evenly spaced tuple
        perm = tuple(ordered.index(f) for f in frames)
        assert perm == tuple(v.order for v in plan.views)
        assert plan.target == permutation_to_reversal_class(perm)
        seen_orders.add(perm)
    assert len(seen_orders) == 24  # every order, i.e. both members of each of the 12 classes


def test_opn_classes_are_balanced_and_never_tell_which_end_came_first(make_record) -> None:
    """Each of the 12 classes is drawn equally often, and within a class the tuple is shown forwards or
    backwards half of the time: the order of the outer frames alone says nothing about the class."""
    pretext = OrderPrediction(frame_stride=2, motion_min_percentile=0.0)
    record = make_record(40)
    rng = np.random.default_rng(11)
    counts = np.zeros((12, 2))  # [class, first shown frame later than the last]
    for _ in range(6000):
        plan = pretext.plan(record, rng)
        frames = shown_frames(plan)
        counts[plan.target, int(frames[0] > frames[-1])] += 1
    assert np.all(np.abs(counts.sum(axis=1) / 6000 - 1 / 12) < 0.015)
    assert np.all(np.abs(counts[:, 1] / counts.sum(axis=1) - 0.5) < 0.08)


def test_opn_channel_split_copies_one_channel_per_frame() -> None:
    views = torch.randint(0, 255, (4, 1, 3, 8, 8), dtype=torch.uint8)
    out = split_channels(views, np.random.default_rng(0), per_frame=True)
    chosen = []
    for v in range(4):
        assert torch.equal(out[v, 0, 0], out[v, 0, 1]) and torch.equal(out[v, 0, 1], out[v, 0, 2])
        matches = [c for c in range(3) if torch.equal(out[v, 0, 0], views[v, 0, c])]
        assert len(matches) == 1
        chosen.append(matches[0])
    tuple_wide = split_channels(views, np.random.default_rng(0), per_frame=False)
    firsts = {next(c for c in range(3) if torch.equal(tuple_wide[v, 0, 0], views[v, 0, c])) for v in range(4)}
    assert len(firsts) == 1


def test_opn_spatial_jitter_crops_each_frame_at_its_own_offset() -> None:
    ys, xs = torch.meshgrid(torch.arange(40), torch.arange(40), indexing="ij")
    image = (ys * 40 + xs).to(torch.int32)  # every pixel unique
    views = image.expand(6, 1, 3, 40, 40)
    out = jitter_frames(views, np.random.default_rng(0), 0.1)  # 4 pixels each way
    assert out.shape == (6, 1, 3, 32, 32)
    offsets = set()
    for v in range(6):
        top_left = int(out[v, 0, 0, 0, 0])
        y, x = divmod(top_left, 40)
        assert 0 <= y <= 8 and 0 <= x <= 8
        assert torch.equal(out[v, 0, 0], image[y : y + 32, x : x + 32])
        offsets.add((y, x))
    assert len(offsets) > 1


def test_opn_make_example_keeps_order_and_shape(make_record) -> None:
    pretext = OrderPrediction(frame_stride=2, spatial_jitter=0.1, motion_min_percentile=0.0)
    plan = pretext.plan(make_record(30), np.random.default_rng(4))
    example = pretext.make_example(fake_views(plan, 20, 20), plan, np.random.default_rng(0))
    assert example.views.shape == (4, 1, 3, 16, 16)
    assert [int(example.views[i, 0, 0, 0, 0]) for i in range(4)] == shown_frames(plan)
    assert example.augment_groups == (0, 0, 0, 0) and int(example.target) == plan.target


# --- VCOP
# ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num_clips", "clip_len", "gap", "stride"), [(3, 16, 8, 1), (4, 8, 0, 1), (3, 4, 5, 2)]
)
def test_vcop_span_and_non_overlapping_clips(
    make_record, num_clips: int, clip_len: int, gap: int, stride: int
) -> None:
    pretext = ClipOrderPrediction(
        num_clips=num_clips, num_frames_per_clip=clip_len, clip_gap_frames=gap, frame_stride=stride
    )
    clip_span = (clip_len - 1) * stride + 1
    expected_span = clip_span * num_clips + gap * (num_clips - 1)
    assert pretext.tuple_span == expected_span
    if stride == 1:
        assert expected_span == clip_len * num_clips + gap * (num_clips - 1)
    record = make_record(expected_span + 10)
    permutations = list(itertools.permutations(range(num_clips)))
    starts = set()
    rng = np.random.default_rng(5)
    for _ in range(300):
        plan = pretext.plan(record, rng)
        clips = sorted(plan.views, key=lambda v: v.order)
        assert clips[-1].frame_indices[-1] - clips[0].frame_indices[0] + 1 == expected_span
        for before, after in itertools.pairwise(clips):
            assert after.frame_indices[0] - before.frame_indices[-1] - 1 == gap  # never overlapping
        assert all(np.all(np.diff(c.frame_indices) == stride) for c in clips)
        assert plan.target == permutations.index(tuple(v.order for v in plan.views))
        starts.add(clips[0].frame_indices[0])
    assert starts == set(range(11))  # tuple start uniform over [0, L - span]


def test_vcop_skips_short_videos_and_loops_on_request(make_record) -> None:
    with pytest.raises(ShortVideoError):
        ClipOrderPrediction().plan(make_record(63), np.random.default_rng(0))
    plan = ClipOrderPrediction(short_video="loop").plan(make_record(40), np.random.default_rng(0))
    assert all(0 <= i < 40 for v in plan.views for i in v.frame_indices)


def test_vcop_joint_fusion_concatenates_clips_in_shown_order(make_record) -> None:
    pretext = ClipOrderPrediction(num_frames_per_clip=4, clip_gap_frames=2, fusion="joint")
    plan = pretext.plan(make_record(30), np.random.default_rng(6))
    example = pretext.make_example(fake_views(plan), plan, np.random.default_rng(0))
    assert example.views.shape == (1, 12, 3, 12, 10)
    assert [int(f) for f in example.views[0, :, 0, 0, 0]] == [i for v in plan.views for i in v.frame_indices]
    assert example.roles == ("shuffled_clips",) and pretext.head.name == "linear"
    assert pretext.head.options["num_classes"] == 6


# --- arrow of time and playback speed
# --------------------------------------------------------------------------


def test_arrow_of_time_reverses_the_index_order(make_record) -> None:
    pretext = ArrowOfTime(num_frames_per_clip=8, frame_stride=2)
    rng = np.random.default_rng(7)
    targets = []
    for _ in range(400):
        plan = pretext.plan(make_record(50), rng)
        steps = np.diff(plan.views[0].frame_indices)
        assert np.all(steps == (-2 if plan.target == 1 else 2))
        targets.append(plan.target)
    assert 0.4 < np.mean(targets) < 0.6


def test_arrow_of_time_shows_the_same_frames_in_both_directions(make_record) -> None:
    """Where the clip lies must not depend on the label: forward and reversed clips start alike."""
    pretext = ArrowOfTime(num_frames_per_clip=8, frame_stride=1)
    rng = np.random.default_rng(12)
    firsts: dict[int, list[int]] = {0: [], 1: []}
    for _ in range(3000):
        plan = pretext.plan(make_record(60), rng)
        firsts[int(plan.target)].append(min(plan.views[0].frame_indices))
    assert abs(np.mean(firsts[0]) - np.mean(firsts[1])) < 1.5  # starts uniform over 0..52 in both classes
    assert set(firsts[0]) == set(firsts[1]) == set(range(53))


def pace_reference(start_1based: int, stride: int, clip_len: int, num_frames: int) -> list[int]:
    """The released Pace ``loop_load_rgb`` transcribed with its 1-based frame numbers."""
    frames, start, idx = [], start_1based, 0
    for _ in range(clip_len):
        frames.append(start + idx * stride)
        if start + (idx + 1) * stride > num_frames:
            start, idx = 1, 0
        else:
            idx += 1
    return frames


def test_playback_speed_matches_pace_wrap_around(make_record) -> None:
    pretext = PlaybackSpeed()
    record = make_record(40)
    rng = np.random.default_rng(8)
    labels = set()
    for _ in range(300):
        plan = pretext.plan(record, rng)
        frames = plan.views[0].frame_indices
        stride = pretext.frame_strides[plan.target]
        expected = pace_reference(frames[0] + 1, stride, 16, 40)
        assert [f + 1 for f in frames] == expected
        labels.add(plan.target)
    assert labels == {0, 1, 2, 3}


def test_playback_speed_inside_placement_stays_inside(make_record) -> None:
    pretext = PlaybackSpeed(frame_strides=[1, 2], placement="inside")
    rng = np.random.default_rng(9)
    for _ in range(200):
        plan = pretext.plan(make_record(40), rng)
        frames = plan.views[0].frame_indices
        assert max(frames) < 40 and np.all(np.diff(frames) == pretext.frame_strides[plan.target])
    with pytest.raises(ConfigError, match="frame_strides"):
        PlaybackSpeed(frame_strides=[2, 2])
