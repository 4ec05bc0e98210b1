"""Multi-view TCN (timestamp synchronisation across cameras) and temporal views (CVRL, ρ-clips)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from temporal_ssl.config import load_yaml
from temporal_ssl.errors import ConfigError, DatasetError
from temporal_ssl.pretext.multiview.multiview_tcn import MultiViewTCN
from temporal_ssl.pretext.multiview.temporal_views import CVRL, RhoClips, cvrl_starts, decreasing_interval
from tests.pretext.memory_records import camera_record

# --- multi-view TCN
# --------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
CAMERAS = [(100, 25.0, 0.0), (130, 30.0, 0.37), (90, 20.0, -0.25)]  # (frames, fps, offset_seconds)


def scene_time(camera: int, frame: int) -> float:
    _, fps, offset = CAMERAS[camera]
    return frame / fps + offset


def test_multiview_positives_share_one_instant_across_cameras() -> None:
    record = camera_record(CAMERAS)
    pretext = MultiViewTCN(window_seconds=2.0, num_timesteps=8)
    half_frame = 0.5 / min(fps for _, fps, _ in CAMERAS)
    rng = np.random.default_rng(0)
    for _ in range(200):
        plan = pretext.plan(record, rng)
        assert len(plan.views) == 16
        instants = []
        for timestep in range(8):
            anchor, positive = plan.views[2 * timestep], plan.views[2 * timestep + 1]
            assert (anchor.role, positive.role) == ("anchor", "positive")
            assert anchor.instance == positive.instance == timestep
            assert anchor.camera != positive.camera
            t_anchor = scene_time(anchor.camera, anchor.frame_indices[0])
            t_positive = scene_time(positive.camera, positive.frame_indices[0])
            assert abs(t_anchor - t_positive) <= half_frame + 1e-9
            instants.append(t_anchor)
        assert len(set(np.round(instants, 6))) == 8  # timesteps are distinct instants
        assert max(instants) - min(instants) <= 2.0 + 2 * half_frame  # inside one window


def test_multiview_tcn_without_offsets_uses_equal_frames() -> None:
    record = camera_record([(50, 25.0, 0.0), (50, 25.0, 0.0)])
    plan = MultiViewTCN(num_timesteps=5).plan(record, np.random.default_rng(1))
    for anchor, positive in zip(plan.views[::2], plan.views[1::2], strict=True):
        assert anchor.frame_indices == positive.frame_indices


def test_multiview_tcn_sample_is_one_sequence_seen_by_every_camera() -> None:
    """The shipped config's sample is one scene with every camera at every timestep (TCN's batch), so each
    anchor's in-sample negatives are other instants of the same cameras."""
    config = load_yaml(REPO / "configs" / "pretrain" / "multiview_tcn.yaml")
    options = config["pretext"]["options"]
    assert options["views_per_timestep"] == config["data"]["synthetic"]["num_cameras"]
    record = camera_record(CAMERAS)
    pretext = MultiViewTCN(window_seconds=2.0, num_timesteps=6, views_per_timestep=3)
    plan = pretext.plan(record, np.random.default_rng(2))
    for timestep in range(6):
        views = plan.views[3 * timestep: 3 * timestep + 3]
        assert sorted(v.camera for v in views) == [0, 1, 2]
        assert [v.role for v in views] == ["anchor", "positive", "positive"]
        assert {v.instance for v in views} == {timestep}


def test_multiview_tcn_single_camera_error_points_to_alternatives(make_record) -> None:
    with pytest.raises(DatasetError, match="has 1 camera.*cvrl or rho_clips"):
        MultiViewTCN().plan(make_record(100), np.random.default_rng(0))
    with pytest.raises(ConfigError, match="views_per_timestep"):
        MultiViewTCN(views_per_timestep=1)


# --- CVRL
# ------------------------------------------------------------------------------------------------------


def test_cvrl_interval_density_decreases_linearly() -> None:
    rng = np.random.default_rng(0)
    max_offset = 1000
    deltas = np.array([decreasing_interval(max_offset, rng) for _ in range(20000)])
    assert deltas.min() >= 0 and deltas.max() < max_offset
    # Linear density p(d) ∝ 1 - d/M has mean M/3; a uniform interval would have mean M/2.
    assert abs(deltas.mean() / max_offset - 1 / 3) < 0.01
    counts, _ = np.histogram(deltas, bins=5, range=(0, max_offset))
    assert np.all(np.diff(counts) < 0)
    # Expected bin shares under the linear density: (2k+1 mirrored) 9:7:5:3:1 out of 25.
    expected = np.array([9, 7, 5, 3, 1]) / 25
    assert np.allclose(counts / counts.sum(), expected, atol=0.015)


def test_cvrl_starts_keep_clips_inside_and_tile_short_videos() -> None:
    rng = np.random.default_rng(1)
    gaps = []
    for _ in range(2000):
        first, second = cvrl_starts(100, num_frames_per_clip=16, frame_stride=2, rng=rng)
        assert 0 <= min(first, second) and max(first, second) + 30 <= 99
        gaps.append(second - first)
    assert np.mean(np.array(gaps) > 0) == pytest.approx(0.5, abs=0.05)  # randomly swapped
    short = CVRL().plan(camera_record([(20, 25.0, 0.0)]), rng)
    for view in short.views:
        assert len(view.frame_indices) == 16 and max(view.frame_indices) < 20  # tiled (wrapped)
    assert [v.instance for v in short.views] == [0, 0]


# --- ρ-clips
# ---------------------------------------------------------------------------------------------------


def test_rho_clips_respect_gap_bounds() -> None:
    pretext = RhoClips(
        num_clips=3, num_frames_per_clip=8, frame_stride=2, min_clip_gap_frames=5, max_clip_gap_frames=20
    )
    record = camera_record([(200, 25.0, 0.0)])
    rng = np.random.default_rng(2)
    for _ in range(300):
        plan = pretext.plan(record, rng)
        clips = sorted(v.frame_indices for v in plan.views)
        assert [v.instance for v in plan.views] == [0, 0, 0]
        for before, after in zip(clips, clips[1:], strict=False):
            assert 5 <= after[0] - before[-1] - 1 <= 20


def test_rho_clips_without_bounds_are_independent_and_overlap_sometimes() -> None:
    pretext = RhoClips(num_clips=2, num_frames_per_clip=8, frame_stride=2)
    record = camera_record([(60, 25.0, 0.0)])
    rng = np.random.default_rng(3)
    overlaps = 0
    for _ in range(500):
        a, b = sorted(v.frame_indices for v in pretext.plan(record, rng).views)
        overlaps += b[0] <= a[-1]
    assert 0 < overlaps < 500
    with pytest.raises(ConfigError, match="min_clip_gap_frames"):
        RhoClips(min_clip_gap_frames=10, max_clip_gap_frames=5)


def test_rho_clips_starts_are_independent_uniform_draws() -> None:
    """ρ's default: every clip starts uniformly anywhere a whole clip fits, independently of the others."""
    pretext = RhoClips(num_clips=2, num_frames_per_clip=8, frame_stride=2)
    record = camera_record([(60, 25.0, 0.0)])  # a clip spans 15 frames: starts 0..45
    rng = np.random.default_rng(6)
    starts = np.array([[v.frame_indices[0] for v in pretext.plan(record, rng).views] for _ in range(4000)])
    assert set(starts.ravel()) == set(range(46))
    assert np.all(np.abs(starts.mean(axis=0) - 22.5) < 1.0)
    assert abs(np.corrcoef(starts[:, 0], starts[:, 1])[0, 1]) < 0.05


def test_rho_clips_with_impossible_bounds_keep_the_least_violating_draw() -> None:
    pretext = RhoClips(num_clips=3, num_frames_per_clip=8, frame_stride=2, min_clip_gap_frames=500)
    plan = pretext.plan(camera_record([(100, 25.0, 0.0)]), np.random.default_rng(4))
    clips = sorted(v.frame_indices for v in plan.views)
    assert len(clips) == 3 and all(max(c) < 100 for c in clips)
    # the best the video allows: clips as far apart as possible
    assert clips[-1][0] - clips[0][-1] > 40


# --- reversed clips as negatives (CVRL and ρ-clips)
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("pretext", [CVRL(num_frames_per_clip=4, frame_stride=2, reversed_negatives=True),
                                     RhoClips(num_clips=3, num_frames_per_clip=4, frame_stride=2,
                                              reversed_negatives=True)])
def test_reversed_negative_is_clip_one_backwards_as_an_instance_of_its_own(make_record, pretext) -> None:
    rng = np.random.default_rng(0)
    plan = pretext.plan(make_record(60), rng)
    clips = [torch.rand(4, 3, 8, 8) for _ in plan.views]
    example = pretext.make_example(clips, plan, rng)
    num_clips = len(plan.views)
    assert example.views.shape == (num_clips + 1, 4, 3, 8, 8)
    assert torch.equal(example.views[-1], clips[0].flip(0))  # frames of clip 1 in reverse order
    assert torch.equal(example.views[0], clips[0])
    assert example.instance_ids.tolist() == [0] * num_clips + [1]  # a negative of its own positives
    assert example.roles[-1] == "reversed"
    assert example.augment_groups == (*range(num_clips), 0)  # clip 1's crop and colours: only time differs


def test_without_reversed_negatives_temporal_views_are_the_planned_clips(make_record) -> None:
    rng = np.random.default_rng(0)
    pretext = CVRL(num_frames_per_clip=4, frame_stride=2)
    plan = pretext.plan(make_record(60), rng)
    example = pretext.make_example([torch.rand(4, 3, 8, 8) for _ in plan.views], plan, rng)
    assert example.views.shape[0] == 2 and example.instance_ids.tolist() == [0, 0]


def test_reversed_negatives_need_a_clip_that_changes_when_reversed() -> None:
    with pytest.raises(ConfigError, match="reversed_negatives.*at least 2 frames"):
        RhoClips(num_frames_per_clip=1, reversed_negatives=True)
    with pytest.raises(ConfigError, match="reversed_negatives.*true or false"):
        CVRL(reversed_negatives="yes")  # type: ignore[arg-type]
