"""Loader throughput against raw decoding of the very same clips, and where the loader's time goes.

For one corpus the benchmark plans the first samples of epoch 0 exactly as the loader will (same sampler, same
per-sample generators), decodes those clips with the io reader in this process (the raw rate: no
augmentation, no collation, no workers), then runs the training loader over the same samples with 0, 1, 2 ...
workers and reports clips/s, the ratio loader / raw and the split of the loader's time between decoding
(plan + decode + make_example), augmentation and collation, summed over worker processes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import islice

import torch

from temporal_ssl.data.transforms import VideoAugmentation
from temporal_ssl.io import open_video
from temporal_ssl.pipeline.dataset import decode_size_for, keep_long_enough, sample_generator
from temporal_ssl.pipeline.loader import LoaderConfig, build_loader
from temporal_ssl.pipeline.stage_times import STAGES, StageTimes
from temporal_ssl.pipeline.video_sampler import ResumableVideoSampler
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.types import SamplePlan, VideoRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoaderRun:
    """One measured configuration.

    Args:
        corpus: name of the corpus.
        mode: ``cpu`` (workers), ``cpu-batched`` or ``cuda`` (in-process batches).
        num_workers: worker processes (CPU) or 0/1 background thread (in-process modes).
        clips_per_second: clips delivered per second of wall time (a clip = one view of a sample).
        raw_clips_per_second: the same clips decoded by the io reader in one process.
        stage_seconds_per_clip: seconds per clip spent in each stage, summed over workers.
    """

    corpus: str
    mode: str
    num_workers: int
    clips_per_second: float
    raw_clips_per_second: float
    stage_seconds_per_clip: dict[str, float]

    @property
    def ratio(self) -> float:
        return self.clips_per_second / self.raw_clips_per_second


def repeat_records(records: Sequence[VideoRecord], num_samples: int) -> list[VideoRecord]:
    """``records`` cycled to ``num_samples`` entries (fresh ``index`` each): one epoch covers the run."""
    return [replace(records[i % len(records)], index=i) for i in range(num_samples)]


def raw_decode_rate(records: Sequence[VideoRecord], pretext: Pretext, *, seed: int, num_samples: int,
                    decode_size: int | tuple[int, int] | None, backend: str = "auto", device: str = "cpu",
                    warmup_samples: int = 0) -> float:
    """Clips/s of decoding the loader's first ``num_samples`` samples of epoch 0 with ``get_frames`` here.

    The first ``warmup_samples`` are decoded untimed, as the loader's warm-up batches are.
    """
    records = keep_long_enough(records, pretext)
    sampler = ResumableVideoSampler(len(records), seed=seed)
    keys = list(islice(iter(sampler), num_samples))
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
                warmup_batches: int = 1) -> tuple[float, dict[str, float]]:
    """Clips/s of the training loader after ``warmup_batches``, and seconds per clip per stage."""
    times = StageTimes()
    loader = build_loader(records, pretext, config, augment=augment, seed=seed, stage_times=times)
    batches = loader.batches()
    for _ in range(warmup_batches):
        next(batches)
    times.reset()
    clips = 0
    started = time.perf_counter()
    for _ in range(num_batches):
        batch = next(batches)
        clips += batch.views.shape[0] * batch.views.shape[1]
    if batch.views.is_cuda:
        torch.cuda.synchronize(batch.views.device)
    elapsed = time.perf_counter() - started
    batches.close()
    return clips / elapsed, {stage: seconds / clips for stage, seconds in times.totals().items()}


def benchmark_corpus(name: str, records: Sequence[VideoRecord], pretext: Pretext,
                     augment: VideoAugmentation, *, batch_size: int, num_batches: int,
                     workers: Sequence[int], decode_size: int,
                     devices: Sequence[str], seed: int = 0, backend: str = "auto") -> list[LoaderRun]:
    """Measure raw decoding and the loader in every mode and worker count on one corpus."""
    if not records:
        raise ValueError(f"corpus '{name}' has no usable video to benchmark")
    warmup = 1
    total = (num_batches + warmup) * batch_size
    corpus = repeat_records(records, total)
    runs = []
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
                rate, stages = loader_rate(corpus, pretext, config, augment, seed=seed,
                                           num_batches=num_batches, warmup_batches=warmup)
                logger.info("%s: %s loader, %d workers, %.1f clips/s", name, mode, num_workers, rate)
                runs.append(LoaderRun(name, mode, num_workers, rate, raw, stages))
    return runs


def markdown_table(runs: Sequence[LoaderRun]) -> str:
    """The results as a markdown table (stage shares are of the summed stage time)."""
    lines = ["| corpus | mode | workers | loader clips/s | raw decode clips/s | loader / raw | "
             + " | ".join(f"{s} ms/clip (%)" for s in STAGES) + " |",
             "|" + "---|" * (6 + len(STAGES))]
    for run in runs:
        seconds = run.stage_seconds_per_clip
        total = sum(seconds.values()) or 1.0
        stages = " | ".join(f"{1000 * seconds[s]:.1f} ({100 * seconds[s] / total:.0f}%)" for s in STAGES)
        lines.append(f"| {run.corpus} | {run.mode} | {run.num_workers} | {run.clips_per_second:.1f} | "
                     f"{run.raw_clips_per_second:.1f} | {run.ratio:.2f} | {stages} |")
    return "\n".join(lines)
