"""The training loop, read top to bottom: take a step, log, save, stop on a signal.

The loop knows nothing of pretexts, fine-tuning or data: a :class:`TrainingRun` holds a model, a loss and a
loader, and every training run of the package (pretraining, fine-tuning, the supervised baseline) goes through
:func:`fit`. The step, the metrics window and the checkpoint are the named functions below and in ``step``
and ``resume``.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME
from temporal_ssl.engine.distributed import any_rank_flags, mean_over_ranks
from temporal_ssl.engine.metrics_log import WindowMeter, peak_memory_mb
from temporal_ssl.engine.optim import set_learning_rate
from temporal_ssl.engine.resume import save_training_checkpoint
from temporal_ssl.engine.signals import StopRequest, stop_on_signals
from temporal_ssl.engine.step import NonFiniteLossError, accumulate_gradients, apply_gradients
from temporal_ssl.engine.training_run import TrainingRun
from temporal_ssl.types import Batch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitResult:
    """How ``fit`` ended: the steps done, the last checkpoint, and the signal that stopped it (if any)."""

    step: int
    checkpoint: Path | None
    stopped_by_signal: int | None = None
    last_metrics: dict[str, float] = field(default_factory=dict)


def fit(run: TrainingRun) -> FitResult:
    """Train ``run`` from ``run.step`` to ``run.total_steps``; SIGTERM/SIGINT save and return early."""
    batches = run.loader.batches()
    meter, last_metrics, started = WindowMeter(), {}, time.perf_counter()
    with stop_on_signals() as stop:
        while run.step < run.total_steps:
            stop_now = train_step(run, batches, meter, stop)
            if run.step % run.train.log_every_steps == 0 or run.step == run.total_steps or stop_now:
                last_metrics = log_window(run, meter, elapsed=time.perf_counter() - started)
                meter = WindowMeter()
            if run.metrics_log is not None:
                run.metrics_log.advance(run.step)
            if run.step % run.train.checkpoint_every_steps == 0 or run.step == run.total_steps or stop_now:
                save_training_checkpoint(run)
            if stop_now:
                signum = stop.signum if stop.signum is not None else int(signal.SIGTERM)  # from another rank
                logger.warning("stopped at step %d by a signal; resume with --resume auto", run.step)
                return FitResult(run.step, run.last_checkpoint, signum, last_metrics)
    return FitResult(run.step, run.last_checkpoint, None, last_metrics)


def train_step(run: TrainingRun, batches: Iterator[Batch], meter: WindowMeter, stop: StopRequest) -> bool:
    """One optimizer step: micro-batches forward/backward, agree across ranks, update; returns "stop now".

    A non-finite loss on any rank raises :class:`NonFiniteLossError` before the weights are touched.
    """
    step = run.step
    lr = run.optim.lr_at(step, run.total_steps)
    set_learning_rate(run.optimizer, lr)
    wait_start = time.perf_counter()
    micro_batches = [next(batches) for _ in range(run.train.grad_accum_steps)]
    data_wait = time.perf_counter() - wait_start
    result = accumulate_gradients(
        run.train_model,
        run.loss_fn,
        micro_batches,
        step=step,
        device=run.ctx.device,
        amp_dtype=run.amp_dtype,
        scaler=run.scaler,
    )
    diverged, stop_now = any_rank_flags([not result.finite, stop.requested], run.ctx.device)
    if diverged:
        raise NonFiniteLossError(_divergence_message(run, step, result.loss, result.metrics))
    parameters = [p for group in run.optimizer.param_groups for p in group["params"]]
    grad_norm, skipped = apply_gradients(
        run.optimizer, run.scaler, parameters, clip_grad_norm=run.train.clip_grad_norm
    )
    momentum = run.model.update_momentum(step, run.total_steps)
    run.step = step + 1
    values = {"loss": result.loss, **result.metrics, "lr": lr, "grad_norm": grad_norm}
    if momentum is not None:
        values["momentum"] = momentum
    if run.scaler.is_enabled():  # fp16: the share of steps the scaler skipped for overflow
        values["skipped_steps"] = float(skipped)
    samples = sum(b.size for b in micro_batches) * run.ctx.world_size  # global: ranks step together
    clips = sum(b.views.shape[0] * b.views.shape[1] for b in micro_batches) * run.ctx.world_size
    meter.add(values, data_wait_seconds=data_wait, samples=samples, clips=clips)
    return stop_now


def log_window(run: TrainingRun, meter: WindowMeter, *, elapsed: float) -> dict[str, float]:
    """Average the window over ranks and write one metrics line (rank 0)."""
    means = mean_over_ranks(meter.means(), run.ctx.device)
    record: dict[str, Any] = {
        "step": run.step,
        "epoch": run.loader.epoch,
        **means,
        "peak_memory_mb": peak_memory_mb(run.ctx.device),
        "elapsed_seconds": elapsed,
    }
    if run.metrics_log is not None:
        run.metrics_log.write(record)
    return means


def _divergence_message(run: TrainingRun, step: int, loss: float, metrics: dict[str, float]) -> str:
    if run.last_checkpoint:
        where = f"the last good checkpoint is '{run.last_checkpoint}'"
    elif run.output_dir is not None and run.saves_checkpoints:
        where = f"no checkpoint was written yet (checkpoints go to '{run.output_dir / CHECKPOINT_DIRNAME}')"
    else:
        where = "this run writes no checkpoint"
    parts = ", ".join(f"{k}={v:.4g}" for k, v in metrics.items())
    return (
        f"the loss became {loss} at step {step}{' (' + parts + ')' if parts else ''}; the weights were not "
        f"updated and {where}. Lower the learning rate (optim.lr), raise optim.warmup_steps, set "
        "clip_grad_norm, or use amp=bf16 instead of fp16, then resume from that checkpoint or restart."
    )
