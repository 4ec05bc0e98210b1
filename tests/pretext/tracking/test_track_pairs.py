"""The ``tracking`` pretext: plans from cached tracks, patches, on-the-fly mining, specs (track_pairs.py)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch

from temporal_ssl.config import load_yaml
from temporal_ssl.errors import ConfigError, DatasetError
from temporal_ssl.io import open_video
from temporal_ssl.losses import triplet as _triplet  # noqa: F401  (registers the loss)
from temporal_ssl.models import heads as _heads  # noqa: F401  (registers the heads)
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.pretext.tracking.patch_crops import fit_box
from temporal_ssl.pretext.tracking.track_cache import VideoTracks, append_line, header_line
from temporal_ssl.pretext.tracking.track_mining import Track, TrackMiningOptions
from temporal_ssl.pretext.tracking.track_pairs import TrackingPretext
from temporal_ssl.registry import HEADS, LOSSES, PRETEXTS
from temporal_ssl.types import SamplePlan, VideoMetadata, VideoRecord

from .conftest import MovingCorpus
from .moving_objects import render

CONFIG = Path(__file__).resolve().parents[3] / "configs" / "pretrain" / "tracking.yaml"


def _record(index: int, path: str, num_frames: int = 100, width: int = 160, height: int = 120,
            motion: tuple[float, ...] | None = None) -> VideoRecord:
    metadata = VideoMetadata(path=path, num_frames=num_frames, fps=25.0, width=width, height=height,
                             duration_seconds=num_frames / 25.0, codec="h264", motion=motion)
    return VideoRecord(index=index, metadata=metadata)


def _track(video: str, start: int, length: int, x: float) -> Track:
    """A box moving 1 px right per frame from ``x``, every frame tracked."""
    frames = tuple(range(start, start + length + 1))
    return Track(video, frames, tuple((x + i, 20.0, x + i + 30.0, 50.0) for i in range(length + 1)), 0.8, 0.5)


@pytest.fixture()
def handmade_cache(tmp_path: Path) -> Path:
    """A cache with three tracks in video a, one in b, none in c (written with the cache's own writer)."""
    path = tmp_path / "tracks.jsonl"
    append_line(path, header_line(TrackMiningOptions()), truncate=True)
    entries = {
        "/data/a.mp4": [_track("/data/a.mp4", 0, 30, 10.0), _track("/data/a.mp4", 40, 30, 60.0),
                        _track("/data/a.mp4", 60, 30, 100.0)],
        "/data/b.mp4": [_track("/data/b.mp4", 5, 30, 0.0)],
        "/data/c.mp4": [],
    }
    for video, tracks in entries.items():
        append_line(path, VideoTracks(video, tuple(tracks), 100, 160, 120).to_dict())
    return path


def _check_views_follow_their_tracks(plan: SamplePlan, tracks: dict[int, Track]) -> None:
    """Every view's frames and boxes lie on one track, anchors at its start and positives at its end."""
    by_instance: dict[int, list] = {}
    for view in plan.views:
        by_instance.setdefault(view.instance, []).append(view)
    for instance, views in by_instance.items():
        roles = Counter(v.role for v in views)
        assert roles["anchor"] == roles["positive"] >= 1
        candidates = [t for t in tracks.values()
                      if all(t.start <= f <= t.end for v in views for f in v.frame_indices)]
        assert candidates, f"views of instance {instance} do not lie on one track"
        track = candidates[0]
        for view in views:
            assert view.boxes == tuple(track.box_at(f) for f in view.frame_indices)
            if view.role == "anchor":
                assert view.frame_indices[0] == track.start
            else:
                assert view.frame_indices[-1] == track.end
            for x0, y0, x1, y1 in view.boxes:
                assert 0 <= x0 < x1 <= 160 and 0 <= y0 < y1 <= 120


def test_plans_from_the_cache_pair_the_ends_of_one_track(handmade_cache: Path) -> None:
    pretext = TrackingPretext(tracks=str(handmade_cache), tube_len=4, tube_stride=2, tracks_per_sample=2)
    record = _record(3, "/data/a.mp4")
    cached = {i: t for i, t in enumerate(pretext.cache.tracks_for("/data/a.mp4"))}  # type: ignore[union-attr]
    rng = np.random.default_rng(0)
    seen_starts = set()
    for _ in range(30):
        plan = pretext.plan(record, rng)
        assert [v.role for v in plan.views] == ["anchor", "positive", "anchor", "positive"]
        assert [v.instance for v in plan.views] == [0, 0, 1, 1]
        assert plan.target is None
        for view in plan.views:
            assert len(view.frame_indices) == 4 and np.all(np.diff(view.frame_indices) == 2)
        # Two different tracks per sample.
        assert plan.views[0].frame_indices[0] != plan.views[2].frame_indices[0]
        _check_views_follow_their_tracks(plan, cached)
        seen_starts.update(v.frame_indices[0] for v in plan.views if v.role == "anchor")
    assert seen_starts == {0, 40, 60}  # every track gets drawn


def test_a_video_with_fewer_tracks_repeats_one_under_its_own_instance(handmade_cache: Path) -> None:
    pretext = TrackingPretext(tracks=str(handmade_cache), tracks_per_sample=3)
    plan = pretext.plan(_record(0, "/data/b.mp4"), np.random.default_rng(1))
    assert [v.instance for v in plan.views] == [0, 0, 0, 0, 0, 0]  # never a negative of itself
    assert len({v.frame_indices for v in plan.views}) == 2


def test_untracked_videos_are_mined_on_the_fly_or_refused(handmade_cache: Path) -> None:
    record = _record(0, "/data/c.mp4", num_frames=80)
    plan = TrackingPretext(tracks=str(handmade_cache)).plan(record, np.random.default_rng(0))
    assert [v.role for v in plan.views] == ["window"]
    strict = TrackingPretext(tracks=str(handmade_cache), untracked_videos="error")
    with pytest.raises(DatasetError, match=re.escape("has no usable track for '/data/c.mp4'")):
        strict.plan(record, np.random.default_rng(0))
    # A stale cache entry (the video is now shorter than the track) is not used either.
    with pytest.raises(DatasetError):
        strict.plan(_record(0, "/data/b.mp4", num_frames=30), np.random.default_rng(0))


def test_boxes_follow_a_video_probed_at_another_size(handmade_cache: Path) -> None:
    pretext = TrackingPretext(tracks=str(handmade_cache))
    plan = pretext.plan(_record(0, "/data/b.mp4", width=320, height=240), np.random.default_rng(0))
    assert plan.views[0].boxes == ((0.0, 40.0, 60.0, 100.0),)


def test_window_plans_open_on_motion(tmp_path: Path) -> None:
    motion = tuple([0.2] * 150 + [9.0] * 40 + [0.2] * 110)
    pretext = TrackingPretext(mine_frame_stride=2)
    rng = np.random.default_rng(4)
    for _ in range(40):
        view = pretext.plan(_record(0, "/v.mp4", num_frames=300, motion=motion), rng).views[0]
        query = view.frame_indices[0] + 2
        assert view.frame_indices[1:] == tuple(sorted({query + 2, *range(query, query + 31, 2)}))
        assert view.boxes is None
        # The 33-frame window overlaps the moving stretch 150..189.
        assert view.frame_indices[-1] >= 150 and view.frame_indices[0] < 190
    # A 20-frame video cannot hold a 30-frame track: the track shrinks to the 16 frames (a multiple of the
    # stride) that fit after the 2-frame motion check.
    short = pretext.plan(_record(0, "/v.mp4", num_frames=20), rng).views[0]
    assert short.frame_indices[-1] - short.frame_indices[0] == 2 + 16 and short.frame_indices[-1] <= 19


def _correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    a, b = a.float().flatten(), b.float().flatten()
    return float(torch.corrcoef(torch.stack([a, b]))[0, 1])


def _decode(plan: SamplePlan, size: tuple[int, int] | None = None) -> list[torch.Tensor]:
    with open_video(plan.record.path) as reader:
        return [reader.get_frames(list(v.frame_indices), size=size).contiguous() for v in plan.views]


def test_patches_are_crops_of_the_planned_boxes_at_any_decode_size(moving_corpus: MovingCorpus,
                                                                   tmp_path: Path) -> None:
    metadata = moving_corpus.metadata[0]
    truth = moving_corpus.boxes[metadata.path]
    path = tmp_path / "tracks.jsonl"
    append_line(path, header_line(TrackMiningOptions()), truncate=True)
    true_boxes = tuple(tuple(float(v) for v in truth[f]) for f in range(31))
    exact = Track(metadata.path, tuple(range(0, 31)), true_boxes, 1.0)  # type: ignore[arg-type]
    append_line(path, VideoTracks(metadata.path, (exact,), metadata.num_frames, metadata.width,
                                  metadata.height).to_dict())
    pretext = TrackingPretext(tracks=str(path), patch_size=24, tube_len=2, tube_stride=3)
    record = VideoRecord(index=7, metadata=metadata)
    plan = pretext.plan(record, np.random.default_rng(0))
    full = pretext.make_example(_decode(plan), plan, np.random.default_rng(0))
    half = pretext.make_example(_decode(plan, size=(60, 80)), plan, np.random.default_rng(0))
    assert full.views.shape == (2, 2, 3, 24, 24) and full.views.dtype == torch.uint8
    assert half.views.shape == full.views.shape
    assert full.roles == ("anchor", "positive") and full.instance_ids.tolist() == [0, 0]
    assert full.video_index == 7 and int(full.target) == -1
    # Oracle: crop the true object box out of the decoded frame and resize it independently.
    frames = _decode(plan)[0]
    x0, y0, x1, y1 = (int(round(v)) for v in truth[0])
    oracle = torch.nn.functional.interpolate(frames[:1, :, y0:y1, x0:x1].float(), size=(24, 24), mode="area")
    other = frames[:1, :, 90:114, 130:154].float()  # background elsewhere
    assert _correlation(full.views[0, 0], oracle[0]) > 0.9
    assert _correlation(full.views[0, 0], other[0]) < 0.5
    # A half-size decode shows the same patch, a little blurrier.
    for view in range(2):
        assert _correlation(full.views[view, 0], half.views[view, 0]) > 0.8


def test_on_the_fly_example_pairs_patches_of_the_moving_object() -> None:
    red = (1.0, 0.15, 0.15)
    pretext = TrackingPretext(patch_size=32, tracks_per_sample=2, miner={"num_boxes": 2})
    for seed in range(3):
        video = render(seed, num_frames=40, growth=0.1, object_tint=red, noise_std=1.0)
        record = _record(seed, f"/mem/{seed}.mp4", num_frames=40, motion=tuple([1.0] * 40))
        plan = pretext.plan(record, np.random.default_rng(seed))
        frames = torch.from_numpy(video.frames[list(plan.views[0].frame_indices)])
        example = pretext.make_example([frames], plan, np.random.default_rng(seed))
        assert example.views.shape == (4, 1, 3, 32, 32)
        assert example.roles == ("anchor", "positive", "anchor", "positive")
        assert example.instance_ids.tolist() == [0, 0, 1, 1]
        views = example.views[:, 0].float()
        redness = (views[:, 0] - views[:, 1:].mean(dim=1)).mean(dim=(1, 2)).reshape(2, 2)
        # One track follows the red object (red anchor and positive), the other starts on the grey distractor.
        red_track = int(redness[:, 0].argmax())
        assert redness[red_track].min() > 55, redness
        assert redness[1 - red_track, 0] < 30, redness


def test_on_the_fly_static_video_still_gives_an_example() -> None:
    video = render(0, num_frames=35, velocity=(0.0, 0.0), growth=0.0, distractor=False)
    pretext = TrackingPretext(patch_size=16, tube_len=3, tube_stride=2, mine_frame_stride=2)
    plan = pretext.plan(_record(0, "/mem/static.mp4", num_frames=35), np.random.default_rng(0))
    example = pretext.make_example([torch.from_numpy(video.frames[list(plan.views[0].frame_indices)])], plan,
                                   np.random.default_rng(0))
    assert example.views.shape == (2, 3, 3, 16, 16)


def test_on_the_fly_never_pairs_an_anchor_with_itself() -> None:
    """A cut a few frames after the query makes every tracker lose its target early; the lost tracks are
    dropped (earlier code held the last box and made the anchor its own positive), so every positive tube ends
    later than its anchor tube and the patches differ."""
    pretext = TrackingPretext(patch_size=16, tube_len=3, tube_stride=2, tracks_per_sample=2,
                              mine_frame_stride=2, track_length=24)
    checked = 0
    for seed in range(4):
        video = render(seed, num_frames=40)
        cut = render(seed + 100, num_frames=40, start=(110.0, 80.0), velocity=(-2.0, 0.0))
        record = _record(seed, f"/mem/cut{seed}.mp4", num_frames=40, motion=tuple([1.0] * 40))
        plan = pretext.plan(record, np.random.default_rng(seed))
        indices = list(plan.views[0].frame_indices)
        query = indices[0] + pretext.mining.miner.frame_gap
        frames = np.where((np.array(indices) >= query + 4)[:, None, None, None],
                          cut.frames[indices], video.frames[indices])
        window = torch.from_numpy(frames)
        tracks = pretext.window_tracks(window, plan, np.random.default_rng(seed))
        example = pretext.make_example([window], plan, np.random.default_rng(seed))
        assert example.views.shape == (4, 3, 3, 16, 16)
        for track in tracks:
            assert track.positive_frames[-1] > track.anchor_frames[-1]
            assert track.positive_frames != track.anchor_frames
            checked += 1
        for slot in range(2):
            assert not torch.equal(example.views[2 * slot], example.views[2 * slot + 1])
    assert checked == 8


def test_a_track_lost_before_its_positive_tube_is_dropped() -> None:
    pretext = TrackingPretext(patch_size=16, tube_len=3, tube_stride=2, mine_frame_stride=2, track_length=24)
    tracked = list(range(2, 27, 2))
    box = [0.0, 0.0, 8.0, 8.0]
    assert pretext._window_tubes(tracked, [box] * 3) is None  # lost right after the anchor tube's last frame
    tubes = pretext._window_tubes(tracked, [box] * 4)
    assert tubes is not None and tubes[0] == [2, 4, 6] and tubes[2] == [4, 6, 8]


def test_specs_build_the_registered_loss_and_head(handmade_cache: Path) -> None:
    pretext = PRETEXTS.build("tracking", {"margin": 1.0, "num_negatives": 6, "hard_mining_after_steps": 10})
    assert isinstance(pretext, Pretext)
    assert pretext.loss.name == "triplet" and pretext.head.name == "projection_mlp"
    loss = LOSSES.build(pretext.loss.name, pretext.loss.options)
    assert (loss.distance, loss.margin, loss.mining, loss.num_negatives, loss.hard_mining_after_steps) == (
        "cosine", 1.0, "hard", 6, 10)
    assert loss.symmetric
    head = HEADS.build(pretext.head.name, pretext.head.options, in_features=32)
    assert head(torch.zeros(2, 4, 32)).shape == (2, 4, 1024)
    assert pretext.min_num_frames == 31


def test_options_are_checked_with_their_names(handmade_cache: Path) -> None:
    with pytest.raises(ConfigError, match="does not fit in track_length=30"):
        TrackingPretext(tube_len=16, tube_stride=2)
    with pytest.raises(ConfigError, match="did you mean 'box_size'"):
        TrackingPretext(miner={"box_sise": 0.2})
    with pytest.raises(ConfigError, match=r"pretext.patch_size must be an integer >= 8"):
        TrackingPretext(patch_size=4)
    with pytest.raises(ConfigError, match="mine_frame_stride=4 must divide track_length=30"):
        TrackingPretext(mine_frame_stride=4)
    with pytest.raises(DatasetError, match="does not exist"):
        TrackingPretext(tracks=str(handmade_cache.parent / "nope.jsonl"))
    with pytest.raises(ConfigError, match="unknown key 'pretext.tube_length'"):
        PRETEXTS.build("tracking", {"tube_length": 4}, where="pretext")


def test_config_file_builds_the_pretext() -> None:
    block = load_yaml(CONFIG)["pretext"]
    pretext = PRETEXTS.build(block["name"], block["options"], where="pretext.options")
    assert pretext.loss.options["margin"] == 0.5 and pretext.loss.options["num_negatives"] == 4
    assert pretext.min_num_frames <= 32  # fits the synthetic corpus the config includes


def test_fit_box_moves_boxes_inside_without_resizing() -> None:
    assert fit_box((-5.0, 10.0, 15.0, 30.0), 100, 50) == (0.0, 10.0, 20.0, 30.0)
    assert fit_box((90.0, 40.0, 110.0, 60.0), 100, 50) == (80.0, 30.0, 100.0, 50.0)
    assert fit_box((-10.0, -10.0, 200.0, 20.0), 100, 50) == (0.0, 0.0, 100.0, 30.0)


def test_fixed_tube_box_keeps_the_motion_inside_one_window() -> None:
    frames = torch.zeros(4, 3, 120, 160, dtype=torch.uint8)
    for t in range(4):  # a bright 10-px square moving 5 px right per frame
        frames[t, :, 40:50, 20 + 5 * t:30 + 5 * t] = 255
    boxes = [(20.0 + 5 * t, 40.0, 30.0 + 5 * t, 50.0) for t in range(4)]
    tracked = TrackingPretext(patch_size=25, tube_len=4)._crop_tube(frames, boxes)
    fixed = TrackingPretext(patch_size=25, tube_len=4, tube_box="fixed")._crop_tube(frames, boxes)

    def columns(tube: torch.Tensor) -> list[float]:
        """The bright square's centre column in each patch."""
        profiles = tube[:, 0].float().mean(dim=1)
        return ((profiles * torch.arange(25)).sum(dim=1) / profiles.sum(dim=1)).tolist()

    # Following the track, the square stays put in the patch; in the fixed window (25 px wide) it moves.
    assert max(columns(tracked)) - min(columns(tracked)) < 0.5
    assert np.allclose(np.diff(columns(fixed)), 5.0, atol=0.5)


def test_reversed_negatives_are_anchors_played_backwards_under_their_own_id(handmade_cache: Path) -> None:
    pretext = TrackingPretext(tracks=str(handmade_cache), patch_size=16, tube_len=3, tracks_per_sample=2,
                              reversed_negatives=True)
    record = _record(0, "/data/a.mp4")
    plan = pretext.plan(record, np.random.default_rng(0))
    views = [torch.randint(0, 255, (len(v.frame_indices), 3, 120, 160), dtype=torch.uint8)
             for v in plan.views]
    example = pretext.make_example(views, plan, np.random.default_rng(0))
    assert example.roles == pretext.roles == ("anchor", "positive", "anchor", "positive", "reversed",
                                              "reversed")
    assert example.instance_ids.tolist() == [0, 0, 1, 1, 2, 3]
    assert torch.equal(example.views[4], example.views[0].flip(0))
    assert torch.equal(example.views[5], example.views[2].flip(0))
    # Each reversed tube shares its anchor's augmentation draw, so only frame order separates them.
    assert example.augment_groups == (0, 1, 2, 3, 0, 2)
    with pytest.raises(ConfigError, match="reversed_negatives needs tubes"):
        TrackingPretext(reversed_negatives=True)
    with pytest.raises(ConfigError, match="tube_box must be 'track' or 'fixed'"):
        TrackingPretext(tube_box="union")  # type: ignore[arg-type]
