"""Loader throughput against raw decoding of the very same clips, and where the loader's time goes.

For one corpus the benchmark plans the first samples of epoch 0 exactly as the loader will (same sampler, same
per-sample generators), decodes those clips with the io reader in this process (the raw rate: no
augmentation, no collation, no workers), then runs the training loader over the same samples with 0, 1, 2 ...
workers and reports clips/s and the ratio loader / raw. The split of the time between decoding (plan, decode,
``make_example``), augmentation and collation is measured apart, in this process, by calling the loader's own
dataset step by step on the same samples: per clip in CPU mode, per batch in the batched modes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import islice

import torch

from temporal_ssl.data.transforms import VideoAugmentation
from temporal_ssl.io import open_video
from temporal_ssl.pipeline.collate import collate_examples
from temporal_ssl.pipeline.dataset import (
    PretextDataset,
    decode_size_for,
    draw_augment_params,
    keep_long_enough,
    pretext_name,
    sample_generator,
)
from temporal_ssl.pipeline.gpu_loader import augment_examples
from temporal_ssl.pipeline.loader import LoaderConfig, build_loader
from temporal_ssl.pipeline.video_sampler import ResumableVideoSampler, SampleKey
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.types import SamplePlan, VideoRecord

logger = logging.getLogger(__name__)

STAGES = ("decode", "augment", "collate")
"""decode: plan, decoding and ``make_example``; augment: the training augmentation; collate: the Batch."""


@dataclass(frozen=True)
class LoaderRun:
    """One measured configuration.

    Args:
        corpus: name of the corpus.
        mode: ``cpu`` (workers), ``cpu-batched`` or ``cuda`` (in-process batches).
        num_workers: worker processes (CPU) or 0/1 background thread (in-process modes).
        clips_per_second: clips delivered per second of wall time (a clip = one view of a sample).
        raw_clips_per_second: the same clips decoded by the io reader in one process.
    """

    corpus: str
    mode: str
    num_workers: int
    clips_per_second: float
    raw_clips_per_second: float

    @property
    def ratio(self) -> float:
        return self.clips_per_second / self.raw_clips_per_second


@dataclass(frozen=True)
class StageSplit:
    """Seconds per clip of each stage of one mode, the stages run one after the other in this process."""

    corpus: str
    mode: str
    seconds_per_clip: dict[str, float]


def repeat_records(records: Sequence[VideoRecord], num_samples: int) -> list[VideoRecord]:
    """``records`` cycled to ``num_samples`` entries (fresh ``index`` each): one epoch covers the run."""
    return [replace(records[i % len(records)], index=i) for i in range(num_samples)]


def first_keys(num_records: int, seed: int, num_samples: int) -> list[SampleKey]:
    """The loader's first ``num_samples`` sample keys of epoch 0 (one process)."""
    return list(islice(iter(ResumableVideoSampler(num_records, seed=seed)), num_samples))


def raw_decode_rate(records: Sequence[VideoRecord], pretext: Pretext, *, seed: int, num_samples: int,
                    decode_size: int | tuple[int, int] | None, backend: str = "auto", device: str = "cpu",
                    warmup_samples: int = 0) -> float:
    """Clips/s of decoding the loader's first ``num_samples`` samples of epoch 0 with ``get_frames`` here.

    The first ``warmup_samples`` are decoded untimed, as the loader's warm-up batches are.
    """
    records = keep_long_enough(records, pretext)
    keys = first_keys(len(records), seed, num_samples)
    plans = [pretext.plan(records[key.video], sample_generator(seed, key)) for key in keys]
    for plan in plans[:warmup_samples]:
        decode_plan_frames(plan, decode_size=decode_size, backend=backend, device=device)
    started = time.perf_counter()
    for plan in plans[warmup_samples:]:
        decode_plan_frames(plan, decode_size=decode_size, backend=backend, device=device)
    if device != "cpu":
        torch.cuda.synchronize(device)
    elapsed = time.perf_counter() - started
    return sum(len(plan.views) for plan in plans[warmup_samples:]) / elapsed


def decode_plan_frames(plan: SamplePlan, *, decode_size: int | tuple[int, int] | None, backend: str,
                       device: str) -> None:
    """Raw decoding of a plan's frames: one ``get_frames`` per camera, nothing else."""
    size = decode_size_for(plan.record, decode_size)
    for camera, indices in plan.frames_by_camera().items():
        metadata = plan.record.camera(camera).metadata
        with open_video(metadata.path, backend=backend, device=device, metadata=metadata) as reader:
            reader.get_frames(indices, size=size)


def loader_rate(records: Sequence[VideoRecord], pretext: Pretext, config: LoaderConfig,
                augment: VideoAugmentation | None, *, seed: int, num_batches: int,
                warmup_batches: int = 1) -> float:
    """Clips/s of the training loader after ``warmup_batches``."""
    loader = build_loader(records, pretext, config, augment=augment, seed=seed)
    batches = loader.batches()
    for _ in range(warmup_batches):
        next(batches)
    clips = 0
    started = time.perf_counter()
    for _ in range(num_batches):
        batch = next(batches)
        clips += batch.views.shape[0] * batch.views.shape[1]
    if batch.views.is_cuda:
        torch.cuda.synchronize(batch.views.device)
    elapsed = time.perf_counter() - started
    batches.close()
    return clips / elapsed


@contextmanager
def _timed(seconds: dict[str, float], stage: str, device: torch.device) -> Iterator[None]:
    """Add the wall time of the ``with`` body to ``seconds[stage]`` (GPU work included)."""
    started = time.perf_counter()
    yield
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds[stage] += time.perf_counter() - started


def stage_split(dataset: PretextDataset, keys: Sequence[SampleKey], *, batch_size: int,
                batched: bool, warmup_batches: int = 1) -> dict[str, float]:
    """Seconds per clip of decoding, augmenting and collating the batches of ``keys``, step by step.

    ``batched``: augment a whole batch at once (``cpu-batched`` and ``cuda`` modes), else each example on its
    own (CPU workers). The first ``warmup_batches`` are run untimed.
    """
    seconds = dict.fromkeys(STAGES, 0.0)
    device, augment = dataset.device, dataset.augment
    clips = 0
    for number, start in enumerate(range(0, len(keys) - batch_size + 1, batch_size)):
        times = seconds if number >= warmup_batches else dict.fromkeys(STAGES, 0.0)
        with _timed(times, "decode", device):
            loaded = [dataset.load_example(key) for key in keys[start:start + batch_size]]
        examples = [example for example, _ in loaded]
        if augment is not None:
            with _timed(times, "augment", device):
                if batched:
                    name = pretext_name(dataset.pretext)
                    params = [draw_augment_params(augment, e, rng, pretext=name) for e, rng in loaded]
                    examples = augment_examples(augment, examples, params)
                else:
                    examples = [dataset.augment_example(example, rng) for example, rng in loaded]
        with _timed(times, "collate", device):
            batch = collate_examples(examples).to(device)
        if number >= warmup_batches:
            clips += batch.views.shape[0] * batch.views.shape[1]
    return {stage: value / max(clips, 1) for stage, value in seconds.items()}


def benchmark_corpus(name: str, records: Sequence[VideoRecord], pretext: Pretext,
                     augment: VideoAugmentation, *, batch_size: int, num_batches: int,
                     workers: Sequence[int], decode_size: int, devices: Sequence[str], seed: int = 0,
                     backend: str = "auto") -> tuple[list[LoaderRun], list[StageSplit]]:
    """Measure raw decoding, the loader in every mode and worker count, and each mode's stage split."""
    if not records:
        raise ValueError(f"corpus '{name}' has no usable video to benchmark")
    warmup = 1
    total = (num_batches + warmup) * batch_size
    corpus = repeat_records(records, total)
    runs, splits = [], []
    for device in devices:
        raw = raw_decode_rate(corpus, pretext, seed=seed, num_samples=total, decode_size=decode_size,
                              backend=backend, device=device, warmup_samples=warmup * batch_size)
        logger.info("%s: raw decoding on %s, %.1f clips/s", name, device, raw)
        modes = [("cpu", False), ("cpu-batched", True)] if device == "cpu" else [("cuda", True)]
        for mode, in_process in modes:
            for num_workers in (workers if not in_process else sorted({min(w, 1) for w in workers})):
                config = LoaderConfig(batch_size=batch_size, num_workers=num_workers, device=device,
                                      batched_augment=in_process, decode_size=decode_size, backend=backend,
                                      persistent_workers=num_workers > 0)
                rate = loader_rate(corpus, pretext, config, augment, seed=seed, num_batches=num_batches,
                                   warmup_batches=warmup)
                logger.info("%s: %s loader, %d workers, %.1f clips/s", name, mode, num_workers, rate)
                runs.append(LoaderRun(name, mode, num_workers, rate, raw))
            dataset = PretextDataset(corpus, pretext, seed=seed, augment=augment, decode_size=decode_size,
                                     backend=backend, device=device)
            keys = first_keys(len(dataset), seed, total)
            splits.append(StageSplit(name, mode, stage_split(dataset, keys, batch_size=batch_size,
                                                             batched=in_process, warmup_batches=warmup)))
    return runs, splits


def markdown_tables(runs: Sequence[LoaderRun], splits: Sequence[StageSplit]) -> str:
    """The loader rates against raw decoding, then each mode's stage split (shares of the summed time)."""
    lines = ["| corpus | mode | workers | loader clips/s | raw decode clips/s | loader / raw |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {run.corpus} | {run.mode} | {run.num_workers} | {run.clips_per_second:.1f} | "
              f"{run.raw_clips_per_second:.1f} | {run.ratio:.2f} |" for run in runs]
    lines += ["", "| corpus | mode | " + " | ".join(f"{s} ms/clip (%)" for s in STAGES) + " |",
              "|" + "---|" * (2 + len(STAGES))]
    for split in splits:
        seconds = split.seconds_per_clip
        total = sum(seconds.values()) or 1.0
        stages = " | ".join(f"{1000 * seconds[s]:.1f} ({100 * seconds[s] / total:.0f}%)" for s in STAGES)
        lines.append(f"| {split.corpus} | {split.mode} | {stages} |")
    return "\n".join(lines)
