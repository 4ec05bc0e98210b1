"""The training loader: reproducible, independent of worker count, exactly resumable, shardable, robust."""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pytest
import torch

import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from temporal_ssl.config import from_dict
from temporal_ssl.data.transforms import VideoAugmentation
from temporal_ssl.errors import ConfigError, DatasetError
from temporal_ssl.pipeline.loader import LoaderConfig, TrainLoader, build_loader
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Batch, VideoRecord

AUGMENT = VideoAugmentation(output_size=24, blur_prob=0.5, solarize_prob=0.2)


def arrow_of_time() -> object:
    return PRETEXTS.build("arrow_of_time", {"num_frames_per_clip": 4, "frame_stride": 2})


def make_loader(records: Sequence[VideoRecord], *, seed: int = 0, workers: int = 0, batch_size: int = 2,
                augment: VideoAugmentation | None = AUGMENT, pretext: object | None = None, rank: int = 0,
                world_size: int = 1, output_dir: Path | None = None, **options: object) -> TrainLoader:
    config = LoaderConfig(batch_size=batch_size, num_workers=workers, decode_size=32, **options)  # type: ignore[arg-type]
    return build_loader(records, pretext or arrow_of_time(), config, augment=augment, seed=seed, rank=rank,
                        world_size=world_size, output_dir=output_dir)


def assert_same_batches(first: Iterable[Batch], second: Iterable[Batch]) -> None:
    first, second = list(first), list(second)
    assert len(first) == len(second) and first
    for a, b in zip(first, second, strict=True):
        assert torch.equal(a.views, b.views)
        assert torch.equal(a.target, b.target) and torch.equal(a.video_indices, b.video_indices)
        assert torch.equal(a.instance_ids, b.instance_ids) and a.roles == b.roles


def two_epochs(loader: TrainLoader) -> list[Batch]:
    batches = []
    for epoch in range(2):
        loader.set_epoch(epoch)
        batches += list(loader)
    return batches


def test_loader_is_reproducible_and_seed_dependent(corpus_records: list[VideoRecord]) -> None:
    first = two_epochs(make_loader(corpus_records, seed=5))
    assert len(first) == 10  # 10 videos / batch 2, two epochs
    assert first[0].views.shape == (2, 1, 3, 4, 24, 24)
    assert_same_batches(first, two_epochs(make_loader(corpus_records, seed=5)))
    other = two_epochs(make_loader(corpus_records, seed=6))
    assert not all(torch.equal(a.views, b.views) for a, b in zip(first, other, strict=True))
    # Epochs differ from each other: a new permutation and new draws.
    assert [b.video_indices.tolist() for b in first[:5]] != [b.video_indices.tolist() for b in first[5:]]


def test_loader_gives_the_same_batches_with_0_and_2_workers(corpus_records: list[VideoRecord]) -> None:
    assert_same_batches(two_epochs(make_loader(corpus_records, seed=2, workers=0)),
                        two_epochs(make_loader(corpus_records, seed=2, workers=2, persistent_workers=True)))


@pytest.mark.parametrize("workers", [0, 2])
def test_loader_leaves_the_global_random_state_untouched(corpus_records: list[VideoRecord],
                                                         workers: int) -> None:
    random.seed(123)
    np.random.seed(123)
    torch.manual_seed(123)
    before = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state().clone())
    two_epochs(make_loader(corpus_records, seed=1, workers=workers))
    assert random.getstate() == before[0]
    assert np.array_equal(np.random.get_state()[1], before[1])
    assert torch.equal(torch.get_rng_state(), before[2])


@pytest.mark.parametrize("stop_after,workers", [(2, 0), (5, 2), (7, 0)])
def test_loader_resumed_after_k_batches_yields_the_uninterrupted_batches(
        corpus_records: list[VideoRecord], stop_after: int, workers: int) -> None:
    straight_stream = make_loader(corpus_records, seed=3).batches()
    expected = [next(straight_stream) for _ in range(12)]  # 2.4 epochs, step-based

    interrupted = make_loader(corpus_records, seed=3, workers=workers)
    stream = interrupted.batches()
    head = [next(stream) for _ in range(stop_after)]
    state = json.loads(json.dumps(interrupted.state_dict()))  # a checkpoint stores it as plain data
    del stream

    resumed = make_loader(corpus_records, seed=3, workers=workers)
    resumed.load_state_dict(state)
    resumed_stream = resumed.batches()
    tail = [next(resumed_stream) for _ in range(12 - stop_after)]
    assert_same_batches(expected, head + tail)


def test_loader_resume_with_explicit_epochs_continues_mid_epoch(corpus_records: list[VideoRecord]) -> None:
    expected = two_epochs(make_loader(corpus_records, seed=4))
    interrupted = make_loader(corpus_records, seed=4)
    interrupted.set_epoch(0)
    head = []
    for batch in interrupted:
        head.append(batch)
        if len(head) == 3:
            break
    state = interrupted.state_dict()
    assert state["sampler"]["epoch"] == 0 and state["sampler"]["position"] == 6
    resumed = make_loader(corpus_records, seed=4)
    resumed.load_state_dict(state)
    assert resumed.epoch == 0 and len(resumed) == 2
    tail = []
    for epoch in range(resumed.epoch, 2):  # the engine's loop
        resumed.set_epoch(epoch)
        tail += list(resumed)
    assert_same_batches(expected, head + tail)


def test_loader_ranks_see_disjoint_samples_covering_the_epoch(corpus_records: list[VideoRecord]) -> None:
    seen = []
    for rank in range(2):
        loader = make_loader(corpus_records, seed=8, rank=rank, world_size=2, batch_size=5)
        loader.set_epoch(1)
        seen.append([i for b in loader for i in b.video_indices.tolist()])
    assert len(seen[0]) == len(seen[1]) == 5
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == list(range(10))


def test_loader_skips_counts_and_reports_a_corrupt_video(
        corrupt_corpus: tuple[list[VideoRecord], int], tmp_path: Path) -> None:
    records, bad = corrupt_corpus
    loader = make_loader(records, seed=0, output_dir=tmp_path, workers=2)
    batches = list(loader)  # every video is drawn once per epoch, so the bad one is met
    assert len(batches) == 5 and all(b.size == 2 for b in batches)
    returned = [i for b in batches for i in b.video_indices.tolist()]
    assert records[bad].index not in returned
    assert loader.num_bad_videos >= 1
    entries = [json.loads(line) for line in (tmp_path / "bad_videos.jsonl").read_text().splitlines()]
    assert len(entries) == loader.num_bad_videos
    assert {e["path"] for e in entries} == {records[bad].path}
    assert all(e["video_index"] == records[bad].index and e["epoch"] == 0 for e in entries)
    # The replacement is deterministic: a second run gives the same batches.
    assert_same_batches(batches, make_loader(records, seed=0, output_dir=tmp_path / "again"))


def test_loader_gives_up_clearly_when_most_of_the_corpus_is_broken(
        corrupt_corpus: tuple[list[VideoRecord], int]) -> None:
    records, bad = corrupt_corpus
    broken = [records[bad]] * 4
    loader = make_loader(broken, max_consecutive_failures=3)
    with pytest.raises(DatasetError, match="3 videos in a row failed to decode"):
        next(iter(loader))
    assert loader.num_bad_videos == 3


def test_batched_augmentation_on_cpu_equals_the_per_sample_path(corpus_records: list[VideoRecord]) -> None:
    # Shuffle & Learn shares one draw across its three frames (augment groups): the batched path must too.
    pretext = PRETEXTS.build("shuffle_and_learn", {"max_positive_gap": 6, "min_negative_gap": 2,
                                                   "motion_min_percentile": 0.0})
    per_sample = list(make_loader(corpus_records, seed=9, pretext=pretext, batch_size=3))
    batched = list(make_loader(corpus_records, seed=9, pretext=pretext, batch_size=3, batched_augment=True))
    threaded = list(make_loader(corpus_records, seed=9, pretext=pretext, batch_size=3, batched_augment=True,
                                workers=1))
    assert len(per_sample) == len(batched) == len(threaded) == 3
    for a, b, c in zip(per_sample, batched, threaded, strict=True):
        assert a.views.shape == b.views.shape == (3, 3, 3, 1, 24, 24)
        torch.testing.assert_close(b.views, a.views, atol=1e-4, rtol=1e-4)
        assert torch.equal(b.views, c.views)
        assert torch.equal(a.target, b.target) and torch.equal(a.video_indices, b.video_indices)


def test_view_overrides_augment_each_view_with_its_own_options(corpus_records: list[VideoRecord]) -> None:
    # CVRL's two clips; clip 1 always grey, clip 2 never. The crop keeps the whole frame, so the coloured
    # gradient of the test videos is always in view: equal channels can only come from the grey-scale.
    cvrl = PRETEXTS.build("cvrl", {"num_frames_per_clip": 4, "frame_stride": 2})
    augment = VideoAugmentation(output_size=24, crop_scale=(1.0, 1.0), color_jitter_prob=0.0,
                                grayscale_prob=0.5, view_overrides=({"grayscale_prob": 1.0},
                                                                    {"grayscale_prob": 0.0}))
    outputs = []
    for batched in (False, True):  # per-clip CPU path, then the batched (GPU-mode) path
        batches = list(make_loader(corpus_records, seed=12, pretext=cvrl, augment=augment, batch_size=5,
                                   batched_augment=batched))
        views = torch.cat([b.views for b in batches])  # [B, V, C, T, H, W]
        assert views.shape[:3] == (10, 2, 3)
        channel_spread = (views - views.mean(dim=2, keepdim=True)).abs().amax(dim=(2, 3, 4, 5))  # [B, V]
        assert bool((channel_spread[:, 0] < 1e-4).all())
        assert bool((channel_spread[:, 1] > 0.1).all())
        outputs.append(views)
    torch.testing.assert_close(outputs[1], outputs[0], atol=1e-4, rtol=1e-4)  # the same draws on both paths


def test_view_overrides_must_match_the_pretexts_views(corpus_records: list[VideoRecord]) -> None:
    three = VideoAugmentation(output_size=24, view_overrides=({}, {"blur_prob": 1.0}, {}))
    loader = make_loader(corpus_records, pretext=PRETEXTS.build("cvrl", {"num_frames_per_clip": 4}),
                         augment=three)
    with pytest.raises(ConfigError, match=re.escape("augment.view_overrides has 3 entries but pretext 'cvrl' "
                                                    "makes examples of 2 views (roles clip, clip)")):
        next(iter(loader))


def test_loader_without_augmentation_returns_unit_range_frames(corpus_records: list[VideoRecord]) -> None:
    config_size = (32, 40)
    loader = build_loader(corpus_records, arrow_of_time(), LoaderConfig(batch_size=5, num_workers=0,
                          decode_size=config_size), augment=None, seed=0)
    batch = next(iter(loader))
    assert batch.views.shape == (5, 1, 3, 4, 32, 40) and batch.views.dtype == torch.float32
    assert 0.0 <= float(batch.views.min()) and float(batch.views.max()) <= 1.0


@pytest.mark.cuda
def test_gpu_mode_decodes_and_augments_on_the_device(corpus_records: list[VideoRecord]) -> None:
    cpu = list(make_loader(corpus_records, seed=1, batched_augment=True))
    gpu_loader = make_loader(corpus_records, seed=1, device="cuda", num_workers=1)
    gpu = list(gpu_loader)
    assert gpu_loader.device.type == "cuda"
    for a, b in zip(cpu, gpu, strict=True):
        assert b.views.is_cuda and b.target.is_cuda
        assert torch.equal(a.video_indices, b.video_indices.cpu())
        # NVDEC and the CPU decoder may round colours differently: compare loosely.
        assert (a.views - b.views.cpu()).abs().mean() < 0.1


def test_videos_too_short_for_the_pretext_are_dropped_and_counted(corpus_records: list[VideoRecord],
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    # A 10-frame clip at stride 2 spans 19 frames: only v0 (18 frames) is too short.
    needs_19 = PRETEXTS.build("arrow_of_time", {"num_frames_per_clip": 10, "frame_stride": 2})
    with caplog.at_level(logging.WARNING, logger="temporal_ssl.pipeline.dataset"):
        loader = make_loader(corpus_records, pretext=needs_19, batch_size=3)
    assert [r.index for r in loader.dataset.records] == list(range(1, 10))
    assert "1 of 10 videos have fewer than the 19 frames" in caplog.text
    assert 0 not in [i for b in loader for i in b.video_indices.tolist()]
    looping = PRETEXTS.build("arrow_of_time",
                             {"num_frames_per_clip": 10, "frame_stride": 2, "short_video": "loop"})
    assert len(make_loader(corpus_records, pretext=looping).dataset) == 10


def test_loader_config_is_validated_with_clear_messages() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'loader.batch_sise'; did you mean 'batch_size'\?"):
        from_dict(LoaderConfig, {"batch_sise": 4}, where="loader")
    with pytest.raises(ConfigError, match="'loader.device' = 'gpu' must be 'cpu', 'cuda' or 'cuda:N'"):
        from_dict(LoaderConfig, {"device": "gpu"}, where="loader")
    with pytest.raises(ConfigError, match="'loader.start_method' = 'threads' is not allowed"):
        from_dict(LoaderConfig, {"start_method": "threads"}, where="loader")
    assert from_dict(LoaderConfig, {"decode_size": [128, 171]}, where="loader").decode_size == (128, 171)


def test_iterating_again_after_a_break_continues_where_the_caller_stopped(
        corpus_records: list[VideoRecord]) -> None:
    expected = list(make_loader(corpus_records, seed=11))
    loader = make_loader(corpus_records, seed=11)
    head = []
    for batch in loader:
        head.append(batch)
        if len(head) == 2:
            break
    assert_same_batches(expected, head + list(loader))
    assert loader.epoch == 1
