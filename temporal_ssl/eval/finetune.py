"""Full fine-tuning (and supervised training from scratch): encoder + linear head on random labeled clips.

Training reuses the pipeline and the engine rather than a second stack: clips come from the pipeline's
:class:`~temporal_ssl.pipeline.eval_clips.LabeledClips` through :func:`~temporal_ssl.pipeline.build_loader`
(seeding, augmentation, bad-video replacement), the model is a :class:`~temporal_ssl.models.PretextModel`
with a ``linear`` head and the ``cross_entropy`` loss, and each step is the engine's
``accumulate_gradients`` + ``apply_gradients`` (AMP, accumulation, clipping) with the engine's optimizer,
warm-up/cosine schedule, metrics log and atomic checkpoint writer. The loop itself is here because the
engine's ``fit`` sets one learning rate on every parameter group, and fine-tuning needs the backbone's
scaled by ``backbone_lr_scale``. Testing scores ``N`` clips × ``M`` crops per video (softmax averaged).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from temporal_ssl.config import to_dict
from temporal_ssl.cpus import threads_beside_workers
from temporal_ssl.engine.checkpoint import FORMAT_VERSION, save_atomic
from temporal_ssl.engine.metrics_log import MetricsLog, WindowMeter
from temporal_ssl.engine.optim import build_optimizer, parameter_groups
from temporal_ssl.engine.step import (
    NonFiniteLossError,
    accumulate_gradients,
    apply_gradients,
    build_grad_scaler,
    resolve_amp,
)
from temporal_ssl.eval.config import ExtractionConfig, FinetuneConfig
from temporal_ssl.eval.features import FeatureRequest, FeatureSet, extract_features
from temporal_ssl.eval.metrics import ClassificationMetrics, classification_metrics
from temporal_ssl.losses.cross_entropy import CrossEntropyLoss
from temporal_ssl.models import PretextModel, build_head
from temporal_ssl.pipeline.eval_clips import LabeledClips
from temporal_ssl.pipeline.loader import build_loader
from temporal_ssl.types import VideoRecord

logger = logging.getLogger(__name__)

FINETUNED_CHECKPOINT_NAME = "finetuned.pt"


@dataclass
class TrainedClassifier:
    """A classifier trained on labeled clips.

    Args:
        model: encoder + linear head (``model.encoder`` keeps the encoder contract).
        steps: optimizer steps taken.
        train_seconds: wall time of the training loop (loader start-up included).
        last_metrics: the last logged window (loss, accuracy, lr, clips/s, data-wait fraction ...).
        checkpoint: where the model was saved (``None`` when not saved).
    """

    model: PretextModel
    steps: int
    train_seconds: float
    last_metrics: dict[str, float]
    checkpoint: Path | None = None


def build_classifier(
    encoder: nn.Module, num_classes: int, *, head_dropout: float = 0.0, seed: int = 0
) -> PretextModel:
    """``encoder`` + a seeded ``linear`` head of ``num_classes`` outputs."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = build_head(
            "linear",
            {"num_classes": num_classes, "dropout": head_dropout},
            int(encoder.num_features),  # type: ignore[arg-type]
            where="finetune",
        )
    return PretextModel(encoder, head)


def build_finetune_optimizer(model: PretextModel, config: FinetuneConfig) -> torch.optim.Optimizer:
    """The engine's optimizer over the head, plus the encoder's groups at ``backbone_lr_scale`` (none at 0).

    Every group carries ``lr_scale``; the learning rate of step ``s`` is ``optim.lr_at(s) × lr_scale``.
    """
    optimizer = build_optimizer([model.head], config.optim)
    for group in optimizer.param_groups:
        group["lr_scale"] = 1.0
    if config.backbone_lr_scale > 0:
        for group in parameter_groups(
            model.encoder.named_parameters(),
            weight_decay=config.optim.weight_decay,
            exclude_norm_and_bias=config.optim.exclude_norm_and_bias_from_weight_decay,
        ):
            if group["params"]:
                optimizer.add_param_group({**group, "lr_scale": config.backbone_lr_scale})
    return optimizer


def total_finetune_steps(config: FinetuneConfig, batches_per_epoch: int) -> int:
    """``max_steps``, ``epochs`` worth of optimizer steps, or the smaller of the two (at least 1)."""
    candidates = [] if config.max_steps is None else [config.max_steps]
    if config.epochs is not None:
        candidates.append(max(1, config.epochs * batches_per_epoch // config.grad_accum_steps))
    return min(candidates)


def train_classifier(
    encoder: nn.Module,
    records: Sequence[VideoRecord],
    *,
    num_classes: int,
    config: FinetuneConfig,
    device: torch.device | str = "cpu",
    seed: int = 0,
    output_dir: str | Path | None = None,
    checkpoint_config: dict[str, Any] | None = None,
) -> TrainedClassifier:
    """Train ``encoder`` + a linear head on random clips of the labeled ``records``.

    Args:
        encoder: trained in place (frozen when ``config.backbone_lr_scale == 0``).
        records: labeled training videos.
        num_classes: classes of the head.
        config: the ``finetune`` section.
        device: where to train.
        seed: head initialisation, data order, augmentation and dropout.
        output_dir: ``metrics.jsonl``, ``bad_videos.jsonl`` and the checkpoint go there (``None``: nothing is
            written).
        checkpoint_config: the ``config`` stored in the checkpoint (its ``model`` entry rebuilds the encoder).
    """
    device = torch.device(device)
    started = time.perf_counter()
    model = build_classifier(encoder, num_classes, head_dropout=config.head_dropout, seed=seed).to(device)
    frozen = config.backbone_lr_scale == 0
    if frozen:
        model.encoder.requires_grad_(False)
    pretext = LabeledClips(
        num_classes=num_classes,
        num_frames_per_clip=config.num_frames_per_clip,
        frame_stride=config.frame_stride,
    )
    loader = build_loader(
        records, pretext, config.loader, augment=config.augment, seed=seed, output_dir=output_dir
    )
    total = total_finetune_steps(config, len(loader))
    optimizer = build_finetune_optimizer(model, config)
    amp_dtype = resolve_amp(config.amp, device)
    scaler = build_grad_scaler(amp_dtype, device)
    loss_fn = CrossEntropyLoss(label_smoothing=config.label_smoothing)
    parameters = [p for group in optimizer.param_groups for p in group["params"]]
    log = None
    if output_dir is not None:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        log = MetricsLog(
            Path(output_dir),
            total_steps=total,
            start_step=0,
            tensorboard=False,
            progress_bar=config.progress_bar,
            description="finetune",
        )
    model.train()
    if frozen:
        model.encoder.eval()  # BatchNorm statistics stay those of the pretrained encoder
    meter, last_metrics = WindowMeter(), {}
    try:
        rng = torch.random.fork_rng(devices=[device] if device.type == "cuda" else [])
        with rng, threads_beside_workers(config.loader.worker_processes, device):
            torch.manual_seed(seed + 1)  # dropout masks
            batches = loader.batches()
            for step in range(total):
                lr = config.optim.lr_at(step, total)
                for group in optimizer.param_groups:
                    group["lr"] = lr * group["lr_scale"]
                wait_start = time.perf_counter()
                micro_batches = [next(batches) for _ in range(config.grad_accum_steps)]
                data_wait = time.perf_counter() - wait_start
                result = accumulate_gradients(
                    model,
                    loss_fn,
                    micro_batches,
                    step=step,
                    device=device,
                    amp_dtype=amp_dtype,
                    scaler=scaler,
                )
                if not result.finite:
                    raise NonFiniteLossError(
                        f"the fine-tuning loss became {result.loss} at step {step}; lower finetune.optim.lr, "
                        "set finetune.clip_grad_norm or use finetune.amp=off"
                    )
                grad_norm, _ = apply_gradients(
                    optimizer, scaler, parameters, clip_grad_norm=config.clip_grad_norm
                )
                meter.add(
                    {**result.metrics, "loss": result.loss, "lr": lr, "grad_norm": grad_norm},
                    data_wait_seconds=data_wait,
                    samples=sum(b.size for b in micro_batches),
                    clips=sum(b.views.shape[0] * b.views.shape[1] for b in micro_batches),
                )
                if (step + 1) % config.log_every_steps == 0 or step + 1 == total:
                    last_metrics = meter.means()
                    meter = WindowMeter()
                    if log is not None:
                        log.write({"step": step + 1, "epoch": loader.epoch, **last_metrics})
                if log is not None:
                    log.advance(step + 1)
    finally:
        if log is not None:
            log.close()
    seconds = time.perf_counter() - started
    checkpoint = None
    if output_dir is not None and config.save_checkpoint:
        checkpoint = save_atomic(
            {
                "format_version": FORMAT_VERSION,
                "kind": "finetune",
                "step": total,
                "model": model.state_dict(),
                "config": {**(checkpoint_config or {}), "finetune": to_dict(config)},
                "num_classes": num_classes,
                "torch_version": str(torch.__version__),
            },
            Path(output_dir) / FINETUNED_CHECKPOINT_NAME,
        )
    logger.info(
        "trained the classifier for %d steps in %.1f s (last window: %s)",
        total,
        seconds,
        {k: round(v, 4) for k, v in last_metrics.items()},
    )
    return TrainedClassifier(model, total, seconds, last_metrics, checkpoint)


def classifier_request(name: str, model: PretextModel) -> FeatureRequest:
    """A feature request producing the classifier's logits ``[B, C]`` for every clip (never cached)."""
    return FeatureRequest(name, lambda clips: model.head(model.encoder(clips)), (model,))


@dataclass
class FinetuneResult:
    """A fine-tuned classifier and its multi-view test scores."""

    trained: TrainedClassifier
    metrics: ClassificationMetrics
    test_logits: FeatureSet


def run_finetune(
    encoder: nn.Module,
    train_records: Sequence[VideoRecord],
    test_records: Sequence[VideoRecord],
    *,
    num_classes: int,
    config: FinetuneConfig,
    extraction: ExtractionConfig,
    class_names: Sequence[str] = (),
    device: torch.device | str = "cpu",
    seed: int = 0,
    output_dir: str | Path | None = None,
    checkpoint_config: dict[str, Any] | None = None,
) -> FinetuneResult:
    """Fine-tune ``encoder`` on ``train_records`` and test it on ``config.test_views`` of ``test_records``."""
    trained = train_classifier(
        encoder,
        train_records,
        num_classes=num_classes,
        config=config,
        device=device,
        seed=seed,
        output_dir=output_dir,
        checkpoint_config=checkpoint_config,
    )
    logits = extract_features(
        [classifier_request("logits", trained.model)],
        test_records,
        config.test_views,
        extraction=extraction,
        device=device,
        description="fine-tuned test",
        output_dir=output_dir,
    )["logits"]
    metrics = classification_metrics(
        logits.features, logits.labels, num_classes=num_classes, class_names=class_names
    )
    return FinetuneResult(trained, metrics, logits)
