"""Full fine-tuning (and supervised training from scratch): encoder + linear head on random labeled clips.

A fine-tune is a model, a loss and a loader handed to the engine's one training loop
(:func:`temporal_ssl.engine.run.run_training`), so it gets what pretraining gets: exact resume after SIGTERM
(``resume="auto"``), checkpoints in ``<output_dir>/checkpoints/``, DDP under ``torchrun``, gradient
accumulation, AMP, the metrics log and TensorBoard. Clips come from the pipeline's
:class:`~temporal_ssl.pipeline.eval_clips.LabeledClips` through :func:`~temporal_ssl.pipeline.build_loader`;
the model is a :class:`~temporal_ssl.models.PretextModel` with a ``linear`` head and the loss the
``cross_entropy`` loss; the encoder's parameter groups carry ``backbone_lr_scale``. Testing scores ``N`` clips
× ``M`` crops per video (softmax averaged).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from temporal_ssl.config import to_dict
from temporal_ssl.cpus import threads_beside_workers
from temporal_ssl.engine.checkpoint import capture_rng_state, checkpoint_to_resume, restore_rng_state
from temporal_ssl.engine.distributed import broadcast_from_main, current_context
from temporal_ssl.engine.optim import build_optimizer, parameter_groups
from temporal_ssl.engine.run import run_training
from temporal_ssl.engine.signals import TrainingStopped
from temporal_ssl.engine.train_config import TrainConfig
from temporal_ssl.eval.config import ExtractionConfig, FinetuneConfig
from temporal_ssl.eval.encoders import weights_sha256
from temporal_ssl.eval.features import FeatureRequest, FeatureSet, extract_features
from temporal_ssl.eval.metrics import ClassificationMetrics, classification_metrics
from temporal_ssl.losses.cross_entropy import CrossEntropyLoss
from temporal_ssl.models import PretextModel, build_head
from temporal_ssl.pipeline.eval_clips import LabeledClips
from temporal_ssl.pipeline.loader import build_loader
from temporal_ssl.types import VideoRecord

logger = logging.getLogger(__name__)


@dataclass
class TrainedClassifier:
    """A classifier trained on labeled clips.

    Args:
        model: encoder + linear head (``model.encoder`` keeps the encoder contract).
        steps: optimizer steps taken.
        train_seconds: wall time of the training loop (loader start-up included).
        last_metrics: the last logged window (loss, accuracy, lr, clips/s, data-wait fraction ...).
        checkpoint: the last checkpoint written (``None`` when the run writes none).
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

    Every group carries ``lr_scale``; the engine sets ``optim.lr_at(step) × lr_scale`` before each step.
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


def finetune_train_settings(config: FinetuneConfig, *, seed: int, device: torch.device) -> TrainConfig:
    """The engine's ``train`` settings of a fine-tune (length, precision, logging, checkpoints)."""
    return TrainConfig(
        max_steps=config.max_steps,
        epochs=config.epochs,
        amp=config.amp,
        grad_accum_steps=config.grad_accum_steps,
        clip_grad_norm=config.clip_grad_norm,
        log_every_steps=config.log_every_steps,
        seed=seed,
        device="cuda" if device.type == "cuda" else "cpu",
        progress_bar=config.progress_bar,
        save_checkpoints=config.save_checkpoint,
    )


@contextlib.contextmanager
def random_state_kept() -> Iterator[None]:
    """Restore the caller's python, numpy and torch random streams on exit (the run seeds its own)."""
    state = capture_rng_state()
    try:
        yield
    finally:
        restore_rng_state(state)


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
    resume: str | None = "auto",
) -> TrainedClassifier:
    """Train ``encoder`` + a linear head on random clips of the labeled ``records``, through the engine.

    Under ``torchrun`` (a process group already joined) every process calls it: the clips are sharded over
    the ranks and the gradients averaged by DDP.

    Args:
        encoder: trained in place (frozen when ``config.backbone_lr_scale == 0``).
        records: labeled training videos.
        num_classes: classes of the head.
        config: the ``finetune`` section.
        device: where to train.
        seed: head initialisation, data order, augmentation and dropout.
        output_dir: ``metrics.jsonl``, ``bad_videos.jsonl``, ``summary.json`` and ``checkpoints/`` go there
            (``None``: nothing is written and the run cannot be resumed).
        checkpoint_config: the ``config`` stored in the checkpoints (its ``model`` entry rebuilds the encoder;
            a resume refuses a checkpoint whose ``model`` differs).
        resume: ``"auto"`` (the default) continues from the latest checkpoint of ``output_dir`` if there is
            one, so running the same evaluation again continues a stopped fine-tune or reuses a finished one
            (a checkpoint whose ``model``, ``finetune`` settings or starting weights differ is refused);
            ``None`` starts afresh
            (refused where ``output_dir`` already holds checkpoints); or a checkpoint path.

    Raises:
        TrainingStopped: SIGTERM/SIGINT stopped the run after saving a checkpoint.
    """
    device = torch.device(device)
    ctx = current_context(device)
    started = time.perf_counter()
    start = weights_sha256(encoder)  # a re-run from other weights must not continue this fine-tune
    model = build_classifier(encoder, num_classes, head_dropout=config.head_dropout, seed=seed).to(device)
    frozen = (model.encoder,) if config.backbone_lr_scale == 0 else ()
    pretext = LabeledClips(
        num_classes=num_classes,
        num_frames_per_clip=config.num_frames_per_clip,
        frame_stride=config.frame_stride,
    )
    loader = build_loader(
        records,
        pretext,
        config.loader,
        augment=config.augment,
        seed=seed,
        rank=ctx.rank,
        world_size=ctx.world_size,
        output_dir=output_dir,
    )
    folder = None if output_dir is None else Path(output_dir)
    resume_from = None
    if folder is not None:
        resume_from = broadcast_from_main(checkpoint_to_resume(resume, folder) if ctx.is_main else None)
    with random_state_kept(), threads_beside_workers(config.loader.worker_processes, device):
        result = run_training(
            model=model,
            loss_fn=CrossEntropyLoss(label_smoothing=config.label_smoothing),
            loader=loader,
            ctx=ctx,
            train=finetune_train_settings(config, seed=seed, device=device),
            optim=config.optim,
            config={**(checkpoint_config or {}), "finetune": {**to_dict(config), "initial_weights": start}},
            output_dir=folder,
            resume_from=resume_from,
            run_name="finetune",
            optimizer=build_finetune_optimizer(model, config),
            frozen=frozen,
            warn_at_chance=False,
        )
    if result.stopped_by_signal is not None:
        raise TrainingStopped("fine-tuning", result.stopped_by_signal, result.checkpoint)
    seconds = time.perf_counter() - started
    logger.info(
        "trained the classifier for %d steps in %.1f s (last window: %s)",
        result.step,
        seconds,
        {k: round(v, 4) for k, v in result.metrics.items()},
    )
    return TrainedClassifier(model, result.step, seconds, result.metrics, result.checkpoint)


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
    resume: str | None = "auto",
) -> FinetuneResult:
    """Fine-tune ``encoder`` on ``train_records`` and test it on ``config.test_views`` of ``test_records``.

    The arguments are :func:`train_classifier`'s, plus the test videos, ``extraction`` (how test clips are
    decoded and batched) and ``class_names`` (for per-class metrics). Under ``torchrun`` training and testing
    are both sharded over the ranks, and every rank gets the same result.
    """
    trained = train_classifier(
        encoder,
        train_records,
        num_classes=num_classes,
        config=config,
        device=device,
        seed=seed,
        output_dir=output_dir,
        checkpoint_config=checkpoint_config,
        resume=resume,
    )
    logits, metrics = score_classifier(
        trained.model,
        test_records,
        config=config,
        extraction=extraction,
        num_classes=num_classes,
        class_names=class_names,
        device=device,
        output_dir=output_dir,
    )
    return FinetuneResult(trained, metrics, logits)


def score_classifier(
    model: PretextModel,
    records: Sequence[VideoRecord],
    *,
    config: FinetuneConfig,
    extraction: ExtractionConfig,
    num_classes: int,
    class_names: Sequence[str] = (),
    device: torch.device | str = "cpu",
    output_dir: str | Path | None = None,
) -> tuple[FeatureSet, ClassificationMetrics]:
    """Score every one of ``config.test_views`` of ``records``: the per-view logits and the metrics."""
    logits = extract_features(
        [classifier_request("logits", model)],
        records,
        config.test_views,
        extraction=extraction,
        device=device,
        description="fine-tuned test",
        output_dir=output_dir,
    )["logits"]
    metrics = classification_metrics(
        logits.features, logits.labels, num_classes=num_classes, class_names=class_names
    )
    return logits, metrics
