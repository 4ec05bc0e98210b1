"""Time-contrastive and temporal-coherence plans: pairs in one window, radii in frames and seconds, errors."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from temporal_ssl.config import load_yaml
from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.errors import ConfigError
from temporal_ssl.pretext.adjacent.time_contrastive import TemporalCoherence, TimeContrastive
from temporal_ssl.registry import PRETEXTS


def check_plan_radii(plan, times: np.ndarray, pos_radius: float, neg_radius: float,
                     num_pairs: int) -> list[tuple[float, float]]:
    """Each pair: anchor then positive within pos_radius (``times`` units), one instance per pair; every frame
    of one pair farther than neg_radius from every frame of another, so the other pairs are exactly TCN's
    negatives. Returns the (anchor, positive) times."""
    assert [v.role for v in plan.views] == ["anchor", "positive"] * num_pairs
    assert [v.instance for v in plan.views] == [k for k in range(num_pairs) for _ in range(2)]
    pairs = []
    for k in range(num_pairs):
        anchor, positive = plan.views[2 * k], plan.views[2 * k + 1]
        assert anchor.frame_indices != positive.frame_indices
        pairs.append((times[anchor.frame_indices[0]], times[positive.frame_indices[0]]))
        assert abs(pairs[-1][1] - pairs[-1][0]) <= pos_radius + 1e-9
    for k, j in itertools.combinations(range(num_pairs), 2):
        assert min(abs(x - y) for x in pairs[k] for y in pairs[j]) > neg_radius
    return pairs


@pytest.mark.parametrize("num_frames", [30, 40, 300])
def test_time_contrastive_radii_in_frames(make_record, num_frames: int) -> None:
    pretext = TimeContrastive(pos_radius=6, neg_radius=12, num_pairs=3)
    rng = np.random.default_rng(0)
    anchors, later_anchors = set(), 0
    for _ in range(500):
        plan = pretext.plan(make_record(num_frames), rng)
        pairs = check_plan_radii(plan, np.arange(num_frames, dtype=float), 6, 12, 3)
        anchors.update(a for a, _ in pairs)
        later_anchors += sum(a > p for a, p in pairs)
    assert 0.4 < later_anchors / 1500 < 0.6  # the anchor is the later frame of its pair half of the time
    if num_frames == 30:  # 3 pairs need 2 + 12 + 2 + 12 + 2 = 30 frames: the only placement
        assert anchors == {0, 1, 14, 15, 28, 29}
    if num_frames == 300:
        assert len(anchors) > 250  # pairs go anywhere in a long video


def test_time_contrastive_pairs_stay_in_one_window(make_record) -> None:
    pretext = TimeContrastive(pos_radius=2, neg_radius=4, num_pairs=3, window=24)
    rng = np.random.default_rng(5)
    lowest = []
    for _ in range(300):
        pairs = check_plan_radii(pretext.plan(make_record(200), rng), np.arange(200, dtype=float), 2, 4, 3)
        frames = [f for pair in pairs for f in pair]
        assert max(frames) - min(frames) <= 24
        lowest.append(min(frames))
    assert min(lowest) < 20 and max(lowest) > 150  # the window itself moves over the whole video


def test_time_contrastive_radii_in_seconds_on_variable_frame_rate(make_record) -> None:
    rng = np.random.default_rng(1)
    # Variable frame rate: irregular steps between 10 and 60 ms (pts in 1/1000 s).
    pts = np.concatenate([[0], np.cumsum(rng.integers(10, 61, size=399))])
    record = make_record(400, fps=30.0, pts=pts.tolist(), time_base=1 / 1000)
    times = pts / 1000.0
    pretext = TimeContrastive(pos_radius=0.2, neg_radius=0.5, radius_unit="seconds", num_pairs=4)
    for _ in range(500):
        check_plan_radii(pretext.plan(record, rng), times, 0.2, 0.5, 4)


def test_time_contrastive_clips_start_at_the_sampled_times(make_record) -> None:
    pretext = TimeContrastive(pos_radius=3, neg_radius=8, num_pairs=2, num_frames_per_clip=4, frame_stride=2)
    rng = np.random.default_rng(2)
    for _ in range(200):
        plan = pretext.plan(make_record(60), rng)
        for view in plan.views:
            assert np.all(np.diff(view.frame_indices) == 2) and max(view.frame_indices) < 60
        check_plan_radii(plan, np.arange(60, dtype=float), 3, 8, 2)


def test_a_sample_is_one_sequence_whose_other_pairs_are_its_negatives(make_record) -> None:
    """The shipped config's sample is TCN's batch: pairs of one video, every view a negative of every view of
    the other pairs (all of them temporal neighbours beyond neg_radius, checked by ``check_plan_radii``)."""
    config = load_yaml(Path(__file__).resolve().parents[2] / "configs" / "pretrain" / "time_contrastive.yaml")
    options = config["pretext"]["options"]
    pretext = PRETEXTS.build(config["pretext"]["name"], options)
    plan = pretext.plan(make_record(32), np.random.default_rng(4))
    check_plan_radii(plan, np.arange(32, dtype=float), options["pos_radius"], options["neg_radius"],
                     options["num_pairs"])
    ids = np.array([v.instance for v in plan.views])
    negatives_per_view = (ids[:, None] != ids[None, :]).sum(axis=1)
    assert np.all(negatives_per_view == len(ids) - 2)  # all views but the view itself and its partner
    assert len(set(ids)) >= 3  # at least two negative pairs for every anchor


def test_temporal_coherence_pairs_neighbours(make_record) -> None:
    pretext = TemporalCoherence()
    rng = np.random.default_rng(3)
    for _ in range(200):
        pairs = check_plan_radii(pretext.plan(make_record(30), rng), np.arange(30, dtype=float), 1, 2, 2)
        assert all(abs(a - p) == 1 for a, p in pairs)
    assert pretext.loss.name == "coherence"


def test_time_contrastive_errors_name_the_key(make_record) -> None:
    with pytest.raises(ConfigError, match=re.escape("pretext.options.neg_radius = 6")):
        TimeContrastive(pos_radius=6, neg_radius=6)
    with pytest.raises(ConfigError, match=re.escape("pretext.options.radius_unit = 'minutes'")):
        TimeContrastive(radius_unit="minutes")
    with pytest.raises(ConfigError, match=re.escape("pretext.options.num_pairs = 1")):
        TimeContrastive(num_pairs=1)
    with pytest.raises(ShortVideoError, match="3 pairs more than 12 frames apart"):
        TimeContrastive(pos_radius=6, neg_radius=12, num_pairs=3).plan(make_record(29),
                                                                       np.random.default_rng(0))
