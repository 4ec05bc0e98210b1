"""Feature extraction: N clips x M crops per video reach the feature functions in order, decode failures are
left out and named, and the cache returns the same features without decoding again."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from temporal_ssl.data.transforms import VideoEvalTransform
from temporal_ssl.eval import feature_cache
from temporal_ssl.eval.config import ClipViews, ExtractionConfig
from temporal_ssl.eval.feature_cache import cached_features, feature_cache_key
from temporal_ssl.eval.features import FeatureRequest, extract_features
from temporal_ssl.types import VideoRecord
from tests.helpers.video_factory import read_barcode

RAW = VideoEvalTransform(resize=None, crop_size=None, num_crops=1, normalize=False)
EXTRACTION = ExtractionConfig(batch_size=2, num_workers=0, progress_bar=False, cache=False)


def first_frame_barcode(clips: torch.Tensor) -> torch.Tensor:
    """``[B, 1]``: the frame index painted on the first frame of each clip ``[B, C, T, H, W]`` in [0, 1]."""
    return torch.tensor([[float(read_barcode((clip[:, 0] * 255).round().byte()))] for clip in clips])


def test_every_video_brings_n_clips_times_m_crops_in_view_order(labeled_records: list[VideoRecord]) -> None:
    seen_batch_sizes: list[int] = []

    def count(clips: torch.Tensor) -> torch.Tensor:
        seen_batch_sizes.append(clips.shape[0])
        return clips.mean(dim=(2, 3, 4))  # [B, C]

    views = ClipViews(
        num_clips=4,
        num_frames_per_clip=5,
        frame_stride=2,
        transform=VideoEvalTransform(resize=None, crop_size=32, num_crops=3, normalize=False),
    )
    out = extract_features([FeatureRequest("count", count)], labeled_records, views, extraction=EXTRACTION)[
        "count"
    ]
    assert out.features.shape == (6, 12, 3)
    assert seen_batch_sizes == [2 * 12] * 3  # 3 batches of 2 videos, N*M = 12 views each
    assert out.labels.tolist() == [0, 1, 2, 0, 1, 2]
    assert out.paths == tuple(r.path for r in labeled_records)
    assert (out.num_clips, out.num_crops) == (4, 3)


def test_views_are_the_uniform_clips_in_order(labeled_records: list[VideoRecord]) -> None:
    views = ClipViews(num_clips=3, num_frames_per_clip=4, frame_stride=2, transform=RAW)
    out = extract_features(
        [FeatureRequest("start", first_frame_barcode)], labeled_records, views, extraction=EXTRACTION
    )["start"]
    span = (4 - 1) * 2 + 1
    for position, record in enumerate(labeled_records):
        step = (record.num_frames - span) / 2  # three clips: first at 0, last ending on the last frame
        expected = [math.floor(k * step + 1e-9) for k in range(3)]
        assert out.features[position, :, 0].tolist() == expected


def test_a_video_that_fails_to_decode_is_left_out_and_named(
    records_with_a_broken_video: tuple[list[VideoRecord], str], tmp_path: Path
) -> None:
    records, broken = records_with_a_broken_video
    views = ClipViews(num_clips=2, num_frames_per_clip=4, transform=RAW)
    out = extract_features(
        [FeatureRequest("start", first_frame_barcode)],
        records,
        views,
        extraction=EXTRACTION,
        output_dir=tmp_path,
    )["start"]
    assert out.num_videos == 5
    assert out.failed_paths == (broken,)
    assert broken not in out.paths
    assert broken in (tmp_path / "bad_videos.jsonl").read_text()


def test_cached_features_are_reused_and_invalidated_by_views_and_videos(
    labeled_records: list[VideoRecord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extraction = replace(EXTRACTION, cache=True, cache_dir=str(tmp_path))
    request = FeatureRequest("start", first_frame_barcode, cache_id="barcode-reader")
    views = ClipViews(num_clips=2, num_frames_per_clip=4, transform=RAW)
    first = cached_features([request], labeled_records, views, extraction=extraction)["start"]
    assert len(list(tmp_path.glob("*.pt"))) == 1

    def no_decoding(*args: object, **kwargs: object) -> None:
        raise AssertionError("features were computed again instead of read from the cache")

    monkeypatch.setattr(feature_cache, "extract_features", no_decoding)
    again = cached_features([request], labeled_records, views, extraction=extraction)["start"]
    assert torch.equal(again.features, first.features) and again.paths == first.paths
    with pytest.raises(AssertionError, match="computed again"):
        cached_features([request], labeled_records, replace(views, num_clips=3), extraction=extraction)
    relabeled = [replace(labeled_records[0], label=2), *labeled_records[1:]]
    key = feature_cache_key("barcode-reader", labeled_records, views, "float32")
    assert feature_cache_key("barcode-reader", relabeled, views, "float32") != key
    assert feature_cache_key("other-weights", labeled_records, views, "float32") != key
