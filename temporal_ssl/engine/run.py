"""Set up one training process around a model, a loss and a loader, run :func:`fit`, write the summary.

:func:`run_training` is the part that does not care where the data comes from (tests drive it with a tiny
in-memory loader). :func:`temporal_ssl.engine.pretrain.pretrain` builds everything from a pretraining config
and calls it; :func:`temporal_ssl.eval.finetune.train_classifier` does the same for fine-tuning and the
supervised baseline.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.engine.checkpoint import load_checkpoint
from temporal_ssl.engine.distributed import DistributedContext
from temporal_ssl.engine.health import final_accuracy, warn_if_at_chance
from temporal_ssl.engine.metrics_log import MetricsLog, plot_loss_curve, read_metrics, tensorboard_wanted
from temporal_ssl.engine.optim import OptimConfig, build_optimizer
from temporal_ssl.engine.resume import restore_training_run
from temporal_ssl.engine.step import LossFunction, build_grad_scaler, resolve_amp
from temporal_ssl.engine.train_config import TrainConfig
from temporal_ssl.engine.trainer import fit
from temporal_ssl.engine.training_run import BatchSource, TrainingRun
from temporal_ssl.errors import ConfigError
from temporal_ssl.models.pretext_model import PretextModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PretrainResult:
    """What a pretraining run produced.

    Args:
        output_dir: the run folder (config.yaml, metrics.jsonl, checkpoints/, loss_curve.png, summary.json);
            ``None`` for a run that wrote nothing.
        checkpoint: the last checkpoint written (the final one when ``completed``).
        step, total_steps: optimizer steps done and planned.
        stopped_by_signal: the signal number that stopped the run early, else ``None``.
        metrics: the last logged window's metrics (loss, parts, lr, clips/s, data-wait fraction ...).
        pretext_accuracy: the classification pretext's final accuracy, ``None`` for other pretexts.
        pretext_at_chance: whether that accuracy ended at chance (a warning was logged), ``None`` if unknown.
    """

    output_dir: Path | None
    checkpoint: Path | None
    step: int
    total_steps: int
    stopped_by_signal: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    pretext_accuracy: float | None = None
    pretext_at_chance: bool | None = None

    @property
    def completed(self) -> bool:
        return self.stopped_by_signal is None and self.step >= self.total_steps


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (every device) global generators."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def total_steps_for(train: TrainConfig, batches_per_epoch: int) -> int:
    """Optimizer steps of the run: ``max_steps``, ``epochs`` worth of batches, or the smaller of the two."""
    candidates = [] if train.max_steps is None else [train.max_steps]
    if train.epochs is not None:
        epoch_steps = train.epochs * batches_per_epoch // train.grad_accum_steps
        if epoch_steps < 1:
            raise ConfigError(
                f"train.epochs = {train.epochs} gives {train.epochs * batches_per_epoch} batch(es), "
                f"less than one step of train.grad_accum_steps = {train.grad_accum_steps}; "
                "train longer or lower grad_accum_steps"
            )
        candidates.append(epoch_steps)
    return min(candidates)


def wrap_model(model: nn.Module, ctx: DistributedContext, train: TrainConfig) -> nn.Module:
    """The module forward passes go through: DDP across ranks, then ``torch.compile`` if asked."""
    wrapped: nn.Module = model
    if ctx.is_distributed:
        device_ids = [ctx.device.index] if ctx.device.type == "cuda" else None
        wrapped = DistributedDataParallel(
            model, device_ids=device_ids, find_unused_parameters=train.find_unused_parameters
        )
    if train.compile:
        wrapped = torch.compile(wrapped)  # type: ignore[assignment]
    return wrapped


def run_training(
    *,
    model: PretextModel,
    loss_fn: LossFunction,
    loader: BatchSource,
    ctx: DistributedContext,
    train: TrainConfig,
    optim: OptimConfig,
    config: Mapping[str, Any],
    output_dir: Path | None,
    resume_from: Path | None = None,
    run_name: str = "pretrain",
    optimizer: torch.optim.Optimizer | None = None,
    frozen: Sequence[nn.Module] = (),
    warn_at_chance: bool = True,
) -> PretrainResult:
    """Train ``model`` with ``loss_fn`` on ``loader`` to the end of ``train``'s schedule (or a stop signal).

    Args:
        model: the bare model (``PretextModel`` or anything with ``update_momentum(step, total_steps)``);
            it is moved to ``ctx.device`` here and wrapped in DDP / ``torch.compile`` as configured.
        loss_fn: ``loss_fn(output, batch, step) -> LossOutput``; an ``nn.Module`` loss is checkpointed with
            the model (MoCo queues) and its parameters, if any, are optimised.
        loader: yields the batches (``temporal_ssl.pipeline.TrainLoader`` or the same protocol).
        ctx: this process's rank, world size and device.
        train, optim: the ``train:`` and ``optim:`` sections.
        config: the resolved config as a plain mapping, stored in every checkpoint.
        output_dir: the run folder (rank 0 writes into it); ``None`` writes nothing and cannot be resumed.
        resume_from: a checkpoint to continue from exactly, or ``None`` for a fresh start.
        run_name: the run's name, for messages and the progress bar (the pretext, ``"finetune"`` ...).
        optimizer: an optimizer built by the caller over ``model``'s parameters (groups may carry an
            ``lr_scale``); ``None`` builds ``optim``'s over every trainable parameter of model and loss.
        frozen: sub-modules that do not train: no gradient, and eval mode (BatchNorm statistics kept).
        warn_at_chance: check a classification head's final training accuracy against chance.
    """
    if train.sync_batchnorm and ctx.is_distributed:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model.to(ctx.device)
    modules = [model] + ([loss_fn] if isinstance(loss_fn, nn.Module) else [])
    for module in modules:
        module.to(ctx.device)
        module.train()
    for module in frozen:
        module.requires_grad_(False)
        module.eval()
    amp_dtype = resolve_amp(train.amp, ctx.device)
    run = TrainingRun(
        model=model,
        train_model=wrap_model(model, ctx, train),
        loss_fn=loss_fn,
        optimizer=optimizer if optimizer is not None else build_optimizer(modules, optim),
        scaler=build_grad_scaler(amp_dtype, ctx.device),
        loader=loader,
        ctx=ctx,
        train=train,
        optim=optim,
        total_steps=total_steps_for(train, len(loader)),
        amp_dtype=amp_dtype,
        output_dir=output_dir,
        config=dict(config),
    )
    if resume_from is not None:
        restore_training_run(run, load_checkpoint(resume_from), resume_from)
    else:
        seed_everything(
            train.seed + 1 + ctx.rank
        )  # distinct dropout streams per rank, same weights everywhere
    if ctx.is_main and output_dir is not None:
        output_dir.mkdir(parents=True, exist_ok=True)
        run.metrics_log = MetricsLog(
            output_dir,
            total_steps=run.total_steps,
            start_step=run.step,
            tensorboard=tensorboard_wanted(train.tensorboard),
            progress_bar=train.progress_bar,
            description=run_name,
        )
    started = time.perf_counter()
    try:
        outcome = fit(run)
    finally:
        if run.metrics_log is not None:
            run.metrics_log.close()
    result = PretrainResult(
        output_dir,
        outcome.checkpoint,
        outcome.step,
        run.total_steps,
        outcome.stopped_by_signal,
        outcome.last_metrics,
    )
    if ctx.is_main and output_dir is not None:
        seconds = time.perf_counter() - started
        result = _finish(
            result, output_dir, model, run_name, wall_seconds=seconds, warn_at_chance=warn_at_chance
        )
    return result


def _finish(
    result: PretrainResult,
    output_dir: Path,
    model: nn.Module,
    run_name: str,
    *,
    wall_seconds: float,
    warn_at_chance: bool,
) -> PretrainResult:
    """Plot the loss curve, check the pretext against chance and write ``summary.json`` (rank 0)."""
    records = read_metrics(output_dir / "metrics.jsonl")
    plot_loss_curve(output_dir / "metrics.jsonl", output_dir / "loss_curve.png")
    head = getattr(model, "head", None)
    num_classes = getattr(head, "out_features", None) if getattr(head, "produces", None) == "logits" else None
    accuracy = final_accuracy(records) if num_classes else None
    at_chance = (
        warn_if_at_chance(run_name, accuracy, num_classes) if result.completed and warn_at_chance else None
    )
    result = PretrainResult(
        **{**asdict(result), "pretext_accuracy": accuracy, "pretext_at_chance": at_chance}
    )
    summary = {
        **asdict(result),
        "output_dir": str(output_dir),
        "checkpoint": str(result.checkpoint),
        "completed": result.completed,
        "pretext": run_name,
        "num_classes": num_classes,
        "chance_accuracy": 1.0 / num_classes if num_classes else None,
        "wall_seconds": wall_seconds,
    }
    write_text_atomic(output_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    return result
