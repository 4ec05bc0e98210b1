"""Training throughput: clips per second and the fraction of step time spent waiting for data.

The same step the trainer runs (``accumulate_gradients`` + ``apply_gradients``: AMP, scaler, optimizer) is
timed on either random tensors (``synthetic`` input: the model's own speed, nanoGPT's ``bench.py`` idea) or
the batches of a real pretraining loader (``loader`` input: what a run actually gets). Their ratio says how
much the input pipeline costs. Steps are timed after warm-up, with a device synchronisation so GPU work is
counted. ``python -m benchmarks.train`` is the command.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import Any, Literal

import torch
from torch import nn

from benchmarks.loader_runner import repeat_records
from temporal_ssl.cpus import threads_beside_workers
from temporal_ssl.engine.metrics_log import peak_memory_mb
from temporal_ssl.engine.optim import OptimConfig, build_optimizer
from temporal_ssl.engine.step import (
    AmpMode,
    accumulate_gradients,
    apply_gradients,
    build_grad_scaler,
    resolve_amp,
)
from temporal_ssl.losses.cross_entropy import CrossEntropyLoss
from temporal_ssl.models import build_pretext_model
from temporal_ssl.types import Batch

InputKind = Literal["synthetic", "loader"]


@dataclass(frozen=True)
class ThroughputResult:
    """One benchmark row: ``clips_per_second`` counts every view (clip) the encoder processed."""

    encoder: str
    input: InputKind
    device: str
    amp: str
    batch_size: int
    clip_shape: tuple[int, ...]
    steps: int
    threads: int
    clips_per_second: float
    step_seconds_median: float
    step_seconds_spread: float
    data_wait_fraction: float
    peak_memory_mb: float


def synthetic_batches(
    batch_size: int,
    *,
    num_views: int = 1,
    frames: int = 16,
    size: int = 112,
    num_classes: int = 10,
    device: torch.device,
    seed: int = 0,
) -> Iterator[Batch]:
    """Endless random batches ``[B, V, 3, T, S, S]`` already on ``device`` (no input pipeline at all)."""
    generator = torch.Generator(device=device).manual_seed(seed)
    views = torch.randn(batch_size, num_views, 3, frames, size, size, device=device, generator=generator)
    target = torch.randint(num_classes, (batch_size,), device=device, generator=generator)
    batch = Batch(
        views,
        target,
        torch.zeros(batch_size, num_views, dtype=torch.long, device=device),
        torch.arange(batch_size, device=device),
        ("clip",) * num_views,
    )
    while True:
        yield batch


def classification_model(
    encoder: str, encoder_options: dict[str, Any] | None = None, num_classes: int = 10
) -> tuple[nn.Module, nn.Module]:
    """``encoder``, a linear head and cross-entropy: the step of supervised training and order pretexts."""
    model = build_pretext_model(encoder, encoder_options, "linear", {"num_classes": num_classes})
    return model, CrossEntropyLoss()


def measure_training(
    model: nn.Module,
    loss_fn: nn.Module,
    batches: Iterator[Batch],
    *,
    encoder: str,
    input_kind: InputKind,
    device: torch.device,
    amp: AmpMode = "auto",
    steps: int = 10,
    warmup_steps: int = 3,
) -> ThroughputResult:
    """Time ``steps`` training steps (after ``warmup_steps``) of ``model`` on ``batches``."""
    threads = torch.get_num_threads()
    amp_dtype = resolve_amp(amp, device)
    model.to(device).train()
    loss_fn.to(device).train()
    optimizer = build_optimizer([model], OptimConfig(name="sgd", lr=1e-4, weight_decay=0.0))
    scaler = build_grad_scaler(amp_dtype, device)
    parameters = [p for p in model.parameters() if p.requires_grad]
    step_times: list[float] = []
    wait_times: list[float] = []
    clips = 0
    shape: tuple[int, ...] = ()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    for step in range(warmup_steps + steps):
        started = time.perf_counter()
        batch = next(batches)
        waited = time.perf_counter() - started
        accumulate_gradients(
            model, loss_fn, [batch], step=step, device=device, amp_dtype=amp_dtype, scaler=scaler
        )
        apply_gradients(optimizer, scaler, parameters, clip_grad_norm=None)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if step >= warmup_steps:
            step_times.append(time.perf_counter() - started)
            wait_times.append(waited)
            clips += batch.views.shape[0] * batch.views.shape[1]
            shape = tuple(batch.views.shape)
    total = sum(step_times)
    return ThroughputResult(
        encoder=encoder,
        input=input_kind,
        device=str(device),
        amp=str(amp_dtype).replace("torch.", "") if amp_dtype else "off",
        batch_size=shape[0],
        clip_shape=shape[2:],
        steps=steps,
        threads=threads,
        clips_per_second=clips / total,
        step_seconds_median=statistics.median(step_times),
        step_seconds_spread=(max(step_times) - min(step_times)) if len(step_times) > 1 else 0.0,
        data_wait_fraction=sum(wait_times) / total,
        peak_memory_mb=peak_memory_mb(device),
    )


def format_table(results: list[ThroughputResult]) -> str:
    """A markdown table of results, with loader/synthetic ratios where both were measured for an encoder."""
    synthetic = {r.encoder: r.clips_per_second for r in results if r.input == "synthetic"}
    lines = [
        "| encoder | input | device | amp | batch | clip [C,T,H,W] | torch threads | clips/s "
        "| step s (median ± spread) | data wait | vs synthetic | peak MB |",
        "|" + "---|" * 12,
    ]
    for r in results:
        ratio = (
            f"{r.clips_per_second / synthetic[r.encoder]:.2f}x"
            if r.input == "loader" and r.encoder in synthetic
            else "-"
        )
        lines.append(
            f"| {r.encoder} | {r.input} | {r.device} | {r.amp} | {r.batch_size} | {list(r.clip_shape)} | "
            f"{r.threads} | {r.clips_per_second:.1f} | "
            f"{r.step_seconds_median:.3f} ± {r.step_seconds_spread:.3f} | "
            f"{100 * r.data_wait_fraction:.1f}% | {ratio} | {r.peak_memory_mb:.0f} |"
        )
    return "\n".join(lines)


def loader_batches(
    config_path: str,
    overrides: list[str],
    *,
    encoder: str,
    encoder_options: dict[str, Any],
    batch_size: int,
    data_path: str | None = None,
    min_samples: int = 0,
) -> tuple[nn.Module, nn.Module, Iterator[Batch], int]:
    """Model, loss, endless batches and loader worker processes of a real pretraining config with ``encoder``
    and ``batch_size``; a corpus of fewer than ``min_samples`` videos is cycled to that many samples."""
    from temporal_ssl.engine.components import build_components
    from temporal_ssl.engine.pretrain_config import load_pretrain_config
    from temporal_ssl.pipeline.loader import build_loader
    from temporal_ssl.pipeline.records import load_records

    config = load_pretrain_config(config_path, overrides, data_path=data_path)
    config = replace(
        config,
        model=replace(config.model, encoder=encoder, encoder_options=encoder_options),
        loader=replace(config.loader, batch_size=batch_size),
    )
    components = build_components(config)
    records = load_records(config.data)
    if len(records) < min_samples:
        records = repeat_records(records, min_samples)
    loader = build_loader(
        records, components.pretext, config.loader, augment=config.augment, seed=config.train.seed
    )
    return components.model, components.loss_fn, loader.batches(), config.loader.worker_processes


def run_benchmark(
    encoders: list[str],
    *,
    inputs: list[InputKind],
    device: torch.device,
    batch_size: int,
    steps: int,
    warmup_steps: int,
    amp: AmpMode,
    frames: int = 16,
    size: int = 112,
    config_path: str | None = None,
    overrides: list[str] | None = None,
    data_path: str | None = None,
    compare_threads: bool = False,
) -> list[ThroughputResult]:
    """Measure every encoder on every input kind (the loader kind needs ``config_path``).

    The loader input runs with the thread count training uses (``threads_beside_workers``); with
    ``compare_threads`` it first runs with torch's default count too (one thread per core, oversubscribing
    the cores the loader's workers use).
    """
    results = []
    for encoder in encoders:
        options = {"num_frames": frames, "input_size": size} if encoder.startswith("video_vit") else {}
        for kind in inputs:
            torch.manual_seed(0)
            workers = 0
            if kind == "synthetic":
                model, loss = classification_model(encoder, options)
                batches = synthetic_batches(batch_size, frames=frames, size=size, device=device)
            else:
                if config_path is None:
                    raise ValueError("the loader input needs a pretraining config (--config)")
                model, loss, batches, workers = loader_batches(
                    config_path,
                    list(overrides or []),
                    encoder=encoder,
                    encoder_options=options,
                    batch_size=batch_size,
                    data_path=data_path,
                    min_samples=batch_size * (warmup_steps + steps),
                )
            for beside_workers in ([False, True] if compare_threads and workers else [True]):
                threads = threads_beside_workers(workers, device) if beside_workers else nullcontext()
                with threads:
                    results.append(
                        measure_training(
                            model,
                            loss,
                            batches,
                            encoder=encoder,
                            input_kind=kind,
                            device=device,
                            amp=amp,
                            steps=steps,
                            warmup_steps=warmup_steps,
                        )
                    )
    return results
