"""The loader benchmark: its stage split calls the loader's own steps; one tiny run (numbers unchecked)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from benchmarks.loader_runner import (
    STAGES,
    benchmark_corpus,
    first_keys,
    markdown_tables,
    stage_split,
)
from temporal_ssl.data.transforms import VideoAugmentation
from temporal_ssl.io import probe_video
from temporal_ssl.pipeline.collate import collate_examples
from temporal_ssl.pipeline.dataset import PretextDataset
from temporal_ssl.pipeline.loader import LoaderConfig, build_loader
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import VideoRecord


def _pretext() -> Pretext:
    return PRETEXTS.build("arrow_of_time", {"num_frames_per_clip": 8, "frame_stride": 2})


def _records(video: Path, count: int) -> list[VideoRecord]:
    metadata = probe_video(video)
    return [VideoRecord(index=i, metadata=metadata) for i in range(count)]


def test_stepwise_dataset_calls_give_the_loaders_first_batch(bframes_video: Path) -> None:
    records = _records(bframes_video, 6)
    augment = VideoAugmentation(output_size=32)
    loader = build_loader(records, _pretext(), LoaderConfig(batch_size=3, num_workers=0, decode_size=48),
                          augment=augment, seed=5)
    batch = next(iter(loader))
    dataset = PretextDataset(records, _pretext(), seed=5, augment=augment, decode_size=48)
    keys = first_keys(len(dataset), 5, 3)
    stepwise = collate_examples([dataset.augment_example(*dataset.load_example(key)) for key in keys])
    assert torch.equal(batch.video_indices, stepwise.video_indices)
    assert torch.equal(batch.views, stepwise.views)


@pytest.mark.parametrize("batched", [False, True])
def test_stage_split_times_every_stage(bframes_video: Path, batched: bool) -> None:
    records = _records(bframes_video, 4)
    dataset = PretextDataset(records, _pretext(), augment=VideoAugmentation(output_size=32), decode_size=48)
    seconds = stage_split(dataset, first_keys(len(dataset), 0, 4), batch_size=2, batched=batched)
    assert set(seconds) == set(STAGES) and all(value > 0 for value in seconds.values())
    unaugmented = PretextDataset(records, _pretext(), augment=None, decode_size=48)
    seconds = stage_split(unaugmented, first_keys(4, 0, 4), batch_size=2, batched=batched)
    assert seconds["augment"] == 0 and seconds["decode"] > 0


def test_benchmark_measures_each_mode_against_raw_decoding(bframes_video: Path) -> None:
    runs, splits = benchmark_corpus("tiny", _records(bframes_video, 2), _pretext(),
                                    VideoAugmentation(output_size=32), batch_size=2, num_batches=1,
                                    workers=[0], decode_size=48, devices=["cpu"])
    assert [(r.mode, r.num_workers) for r in runs] == [("cpu", 0), ("cpu-batched", 0)]
    assert all(r.clips_per_second > 0 and r.ratio == r.clips_per_second / r.raw_clips_per_second
               for r in runs)
    assert [s.mode for s in splits] == ["cpu", "cpu-batched"]
    tables = markdown_tables(runs, splits)
    assert "| tiny | cpu | 0 |" in tables and "| tiny | cpu-batched | decode" not in tables
    assert tables.count("| tiny | cpu-batched |") == 2
