"""Evaluation clips: N uniform clips x M crops from one decode per video, and supervised clip training."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from temporal_ssl.data.transforms import VideoEvalTransform
from temporal_ssl.io.reader import VideoReader
from temporal_ssl.pipeline.bad_videos import BadVideoLog
from temporal_ssl.pipeline.eval_clips import EvalClipDataset, LabeledClips, build_eval_loader
from temporal_ssl.pipeline.loader import LoaderConfig, build_loader
from temporal_ssl.types import VideoRecord
from tests.helpers.video_factory import read_barcode

FULL_FRAME = VideoEvalTransform(resize=None, crop_size=None, num_crops=1, normalize=False)


def expected_starts(num_frames: int, num_clips: int, span: int) -> list[int]:
    """VCOP's uniform evaluation clips written out independently: centres evenly from span/2 to n - span/2."""
    if num_clips == 1:
        return [0]
    step = (num_frames - span) / (num_clips - 1)
    return [math.floor(k * step + 1e-9) for k in range(num_clips)]


@pytest.mark.parametrize("num_clips,frames,stride", [(3, 4, 2), (5, 3, 1), (1, 4, 3)])
def test_eval_clips_hold_the_uniformly_spaced_frames(corpus_records: list[VideoRecord], num_clips: int,
                                                     frames: int, stride: int) -> None:
    dataset = EvalClipDataset(corpus_records[:3], num_clips=num_clips, num_frames_per_clip=frames,
                              frame_stride=stride, transform=FULL_FRAME)
    for position, record in enumerate(corpus_records[:3]):
        sample = dataset[position]
        assert sample.clips is not None
        assert sample.clips.shape == (num_clips, 3, frames, record.metadata.height, record.metadata.width)
        assert sample.clips.dtype == torch.float32 and sample.video_index == record.index
        span = (frames - 1) * stride + 1
        for n, start in enumerate(expected_starts(record.num_frames, num_clips, span)):
            read = [read_barcode((sample.clips[n, :, t] * 255).round().byte()) for t in range(frames)]
            assert read == [start + stride * t for t in range(frames)]


def test_eval_clips_loop_videos_shorter_than_a_clip(corpus_records: list[VideoRecord]) -> None:
    record = corpus_records[0]  # 18 frames
    dataset = EvalClipDataset([record], num_clips=2, num_frames_per_clip=8, frame_stride=3,
                              transform=FULL_FRAME)
    clips = dataset[0].clips
    assert clips is not None
    read = [read_barcode((clips[0, :, t] * 255).round().byte()) for t in range(8)]
    assert read == [(3 * t) % record.num_frames for t in range(8)]


def test_eval_three_crops_are_start_centre_end_of_the_long_side(corpus_records: list[VideoRecord]) -> None:
    record = corpus_records[1]  # 48 x 64
    full = EvalClipDataset([record], num_clips=2, num_frames_per_clip=3, transform=FULL_FRAME)[0].clips
    three = EvalClipDataset([record], num_clips=2, num_frames_per_clip=3, transform=VideoEvalTransform(
        resize=None, crop_size=32, num_crops=3, normalize=False))[0].clips
    assert full is not None and three is not None
    assert three.shape == (2 * 3, 3, 3, 32, 32)
    for n in range(2):
        for m, left in enumerate([0, 16, 32]):  # width 64, crop 32: start, centre, end; height centred
            assert torch.equal(three[n * 3 + m], full[n, :, :, 8:40, left:left + 32])


def test_eval_clips_decode_each_video_with_one_get_frames_call(corpus_records: list[VideoRecord],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[int]] = []
    original = VideoReader.get_frames

    def counting(self: VideoReader, indices: list[int], size: tuple[int, int] | None = None) -> torch.Tensor:
        calls.append(list(indices))
        return original(self, indices, size=size)

    monkeypatch.setattr(VideoReader, "get_frames", counting)
    dataset = EvalClipDataset(corpus_records[:2], num_clips=4, num_frames_per_clip=4,
                              transform=VideoEvalTransform(resize=40, crop_size=32, num_crops=3))
    for position in range(2):
        sample = dataset[position]
        assert sample.clips is not None and sample.clips.shape == (12, 3, 4, 32, 32)
    assert len(calls) == 2


def test_eval_loader_batches_every_video_once_and_reports_a_bad_one(
        corrupt_corpus: tuple[list[VideoRecord], int], tmp_path: Path) -> None:
    records, bad = corrupt_corpus
    log = BadVideoLog(tmp_path / "bad_videos.jsonl")
    dataset = EvalClipDataset(records, num_clips=2, num_frames_per_clip=4, bad_videos=log,
                              transform=VideoEvalTransform(resize=32, crop_size=32, num_crops=1))
    seen, failed = [], []
    for rank in range(2):
        for batch in build_eval_loader(dataset, batch_size=3, num_workers=0, rank=rank, world_size=2):
            assert batch.clips.shape[1:] == (2, 3, 4, 32, 32)
            seen += batch.video_indices.tolist()
            failed += batch.failed_video_indices
    assert failed == [records[bad].index]
    assert sorted(seen + failed) == [r.index for r in records]
    assert log.count == 1 and log.entries()[0]["path"] == records[bad].path


def test_eval_clip_dataset_refuses_to_skip_short_test_videos(corpus_records: list[VideoRecord]) -> None:
    from temporal_ssl.errors import DatasetError

    with pytest.raises(DatasetError, match="'skip' would leave test videos out"):
        EvalClipDataset(corpus_records, short_video="skip")


def test_labeled_clips_train_through_the_loader_with_labels_as_targets(
        corpus_records: list[VideoRecord]) -> None:
    labeled = [VideoRecord(index=r.index, metadata=r.metadata, label=r.index % 3) for r in corpus_records]
    pretext = LabeledClips(num_classes=3, num_frames_per_clip=4, frame_stride=2)
    loader = build_loader(labeled, pretext, LoaderConfig(batch_size=5, num_workers=0, decode_size=(32, 32)),
                          augment=None, seed=0)
    batches = list(loader)
    assert len(batches) == 2
    for batch in batches:
        assert batch.views.shape == (5, 1, 3, 4, 32, 32)
        assert batch.target.tolist() == [i % 3 for i in batch.video_indices.tolist()]
    assert pretext.head.name == "linear" and pretext.head.options == {"num_classes": 3}


def test_labeled_clips_plan_one_clip_inside_the_video(corpus_records: list[VideoRecord]) -> None:
    record = VideoRecord(index=0, metadata=corpus_records[0].metadata, label=2)
    pretext = LabeledClips(num_classes=3, num_frames_per_clip=5, frame_stride=3)
    rng = np.random.default_rng(0)
    for _ in range(20):
        plan = pretext.plan(record, rng)
        (view,) = plan.views
        frames = np.array(view.frame_indices)
        assert plan.target == 2 and np.all(np.diff(frames) == 3) and frames.max() < record.num_frames
