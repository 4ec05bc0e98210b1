"""Time-contrastive and temporal-coherence plans: radii in frames and in seconds, instance ids, errors."""

from __future__ import annotations

import re

import numpy as np
import pytest

from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.errors import ConfigError
from temporal_ssl.pretext.adjacent.time_contrastive import TemporalCoherence, TimeContrastive


def check_plan_radii(plan, times: np.ndarray, pos_radius: float, neg_radius: float) -> None:
    """Positives within pos_radius of the anchor, same-video negatives beyond neg_radius (``times`` units)."""
    roles = [v.role for v in plan.views]
    assert roles[:2] == ["anchor", "positive"] and set(roles[2:]) == {"negative"}
    anchor = times[plan.views[0].frame_indices[0]]
    positive = times[plan.views[1].frame_indices[0]]
    assert plan.views[1].frame_indices != plan.views[0].frame_indices
    assert abs(positive - anchor) <= pos_radius + 1e-9
    for view in plan.views[2:]:
        assert abs(times[view.frame_indices[0]] - anchor) > neg_radius
    assert [v.instance for v in plan.views] == [0, 0, *range(1, len(plan.views) - 1)]


@pytest.mark.parametrize("num_frames", [14, 40, 300])
def test_time_contrastive_radii_in_frames(make_record, num_frames: int) -> None:
    pretext = TimeContrastive(pos_radius=6, neg_radius=12, num_negatives=3)
    rng = np.random.default_rng(0)
    anchors = set()
    for _ in range(500):
        plan = pretext.plan(make_record(num_frames), rng)
        check_plan_radii(plan, np.arange(num_frames, dtype=float), 6, 12)
        anchors.add(plan.views[0].frame_indices[0])
    if num_frames == 14:  # only anchors with a frame beyond 12 frames qualify: 0 and 13
        assert anchors == {0, 13}


def test_time_contrastive_radii_in_seconds_on_variable_frame_rate(make_record) -> None:
    rng = np.random.default_rng(1)
    # Variable frame rate: irregular steps between 10 and 60 ms (pts in 1/1000 s).
    pts = np.concatenate([[0], np.cumsum(rng.integers(10, 61, size=399))])
    record = make_record(400, fps=30.0, pts=pts.tolist(), time_base=1 / 1000)
    times = pts / 1000.0
    pretext = TimeContrastive(pos_radius=0.2, neg_radius=0.5, radius_unit="seconds", num_negatives=2)
    for _ in range(500):
        check_plan_radii(pretext.plan(record, rng), times, 0.2, 0.5)


def test_time_contrastive_clips_start_at_the_sampled_times(make_record) -> None:
    pretext = TimeContrastive(pos_radius=3, neg_radius=8, num_frames_per_clip=4, frame_stride=2)
    rng = np.random.default_rng(2)
    for _ in range(200):
        plan = pretext.plan(make_record(60), rng)
        for view in plan.views:
            assert np.all(np.diff(view.frame_indices) == 2) and max(view.frame_indices) < 60
        check_plan_radii(plan, np.arange(60, dtype=float), 3, 8)


def test_temporal_coherence_pairs_neighbours(make_record) -> None:
    pretext = TemporalCoherence()
    rng = np.random.default_rng(3)
    for _ in range(200):
        plan = pretext.plan(make_record(30), rng)
        check_plan_radii(plan, np.arange(30, dtype=float), 1, 2)
    assert pretext.loss.name == "coherence"


def test_time_contrastive_errors_name_the_key(make_record) -> None:
    with pytest.raises(ConfigError, match=re.escape("pretext.options.neg_radius = 6")):
        TimeContrastive(pos_radius=6, neg_radius=6)
    with pytest.raises(ConfigError, match=re.escape("pretext.options.radius_unit = 'minutes'")):
        TimeContrastive(radius_unit="minutes")
    with pytest.raises(ShortVideoError):
        TimeContrastive(pos_radius=6, neg_radius=12).plan(make_record(13), np.random.default_rng(0))
