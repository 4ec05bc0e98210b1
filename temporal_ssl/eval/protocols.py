"""Run one protocol for several encoders on the same videos and turn the scores into report rows.

Frozen-feature protocols (linear probe, k-NN, retrieval) decode each split once for all encoders (features
of every encoder come from the same decoded clips, and are cached); the feature-extraction time of a shared
pass is split evenly between the encoders computed in it.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from temporal_ssl.config import to_dict
from temporal_ssl.eval.config import (
    ExtractionConfig,
    FeatureConfig,
    FinetuneConfig,
    KnnConfig,
    LinearProbeConfig,
    RetrievalConfig,
)
from temporal_ssl.eval.feature_cache import cached_features
from temporal_ssl.eval.features import FeatureSet, encoder_request
from temporal_ssl.eval.finetune import FinetuneResult, run_finetune
from temporal_ssl.eval.knn import run_knn
from temporal_ssl.eval.labeled_data import LabeledSplits
from temporal_ssl.eval.linear_probe import run_linear_probe
from temporal_ssl.eval.results import (
    ClassificationScores,
    ProtocolResult,
    RetrievalScores,
    Scores,
    views_summary,
)
from temporal_ssl.eval.retrieval import run_retrieval

FeatureProtocolConfig = LinearProbeConfig | KnnConfig | RetrievalConfig


@dataclass
class Subject:
    """An encoder to evaluate, under its report name, with the identity of its weights (for the cache)."""

    name: str
    encoder: nn.Module
    weights_id: str


@dataclass(frozen=True)
class RunSettings:
    """What every protocol of one run shares.

    Args:
        extraction: feature extraction and caching.
        device: where encoders run and train.
        seed: probe splits, head initialisation, fine-tuning data order.
        output_dir: where logs and fine-tuned checkpoints go (``None``: nothing is written).
    """

    extraction: ExtractionConfig
    device: torch.device
    seed: int = 0
    output_dir: Path | None = None


@dataclass
class SplitFeatures:
    """Features of every subject on both splits, and the extraction time charged to each subject."""

    train: dict[str, FeatureSet]
    test: dict[str, FeatureSet]
    seconds: dict[str, float]


def subject_features(
    subjects: Sequence[Subject],
    splits: LabeledSplits,
    features: FeatureConfig,
    *,
    extraction: ExtractionConfig,
    device: torch.device,
    output_dir: Path | None,
) -> SplitFeatures:
    """Features of every subject (one decoding pass per split, cached by weights/views/pooling/videos)."""
    requests = [
        encoder_request(s.name, s.encoder, features.pooling, weights_id=s.weights_id) for s in subjects
    ]
    seconds: dict[str, float] = {}
    out: list[dict[str, FeatureSet]] = []
    for split, records, views in (
        ("train", splits.train_records, features.views_for_train),
        ("test", splits.test_records, features.test_views),
    ):
        started = time.perf_counter()
        out.append(
            cached_features(
                requests,
                records,
                views,
                extraction=extraction,
                device=device,
                description=f"{split} features ({features.pooling})",
                output_dir=output_dir,
            )
        )
        seconds[f"{split}_features"] = (time.perf_counter() - started) / len(subjects)
    return SplitFeatures(out[0], out[1], seconds)


def feature_protocol_rows(
    protocol: str,
    subjects: Sequence[Subject],
    splits: LabeledSplits,
    config: FeatureProtocolConfig,
    run: RunSettings,
) -> list[ProtocolResult]:
    """Rows of ``protocol`` (``linear_probe``, ``knn`` or ``retrieval``) for every subject."""
    features = subject_features(
        subjects,
        splits,
        config.features,
        extraction=run.extraction,
        device=run.device,
        output_dir=run.output_dir,
    )
    seed = run.seed
    settings_base: dict[str, Any] = {
        "pooling": config.features.pooling,
        "test_views": views_summary(config.features.test_views),
        "train_views": views_summary(config.features.views_for_train),
    }
    rows = []
    for subject in subjects:
        train, test = features.train[subject.name], features.test[subject.name]
        started = time.perf_counter()
        settings = dict(settings_base, feature_dim=train.dim)
        classification = None
        metrics: Scores
        if isinstance(config, LinearProbeConfig):
            probe = run_linear_probe(
                train,
                test,
                num_classes=splits.num_classes,
                config=config,
                class_names=splits.class_names,
                seed=seed,
            )
            classification = probe.metrics
            metrics = ClassificationScores.from_metrics(classification)
            settings.update(
                standardize=config.standardize,
                l2_normalize=config.l2_normalize,
                solver=config.solver,
                train_on=config.train_on,
                weight_decay=probe.weight_decay,
                validation_accuracy={f"{k:g}": v for k, v in probe.validation_accuracy.items()},
                **probe.details,
            )
        elif isinstance(config, KnnConfig):
            classification, _ = run_knn(
                train, test, num_classes=splits.num_classes, config=config, class_names=splits.class_names
            )
            metrics = ClassificationScores.from_metrics(classification)
            settings.update(
                k=config.k,
                temperature=config.temperature,
                weighting=config.weighting,
                standardize=config.standardize,
            )
        else:
            topk = run_retrieval(train, test, config=config)
            metrics = RetrievalScores(dict(topk))
            settings.update(distance="cosine", standardize=config.standardize)
        seconds = {**features.seconds, "fit": time.perf_counter() - started}
        rows.append(
            ProtocolResult(
                protocol,
                subject.name,
                metrics,
                settings,
                seconds,
                classification,
                train.num_videos,
                test.num_videos,
                sorted(set(train.failed_paths) | set(test.failed_paths)),
            )
        )
    return rows


def finetune_row(
    subject: str,
    encoder: nn.Module,
    splits: LabeledSplits,
    config: FinetuneConfig,
    run: RunSettings,
    *,
    model_config: dict[str, Any],
) -> tuple[ProtocolResult, FinetuneResult]:
    """Fine-tune a copy of ``encoder`` (the original stays untouched) and score it; the row and the result."""
    started = time.perf_counter()
    result = run_finetune(
        copy.deepcopy(encoder),
        splits.train_records,
        splits.test_records,
        num_classes=splits.num_classes,
        config=config,
        extraction=run.extraction,
        class_names=splits.class_names,
        device=run.device,
        seed=run.seed,
        output_dir=None if run.output_dir is None else run.output_dir / f"finetune_{subject}",
        checkpoint_config={"model": model_config, "class_names": splits.class_names},
    )
    trained = result.trained
    settings = {
        "test_views": views_summary(config.test_views),
        "train_clip": {
            "num_frames_per_clip": config.num_frames_per_clip,
            "frame_stride": config.frame_stride,
        },
        "steps": trained.steps,
        "batch_size": config.loader.batch_size,
        "backbone_lr_scale": config.backbone_lr_scale,
        "optim": to_dict(config.optim),
        "final_train_window": trained.last_metrics,
        "checkpoint": None if trained.checkpoint is None else str(trained.checkpoint),
    }
    seconds = {"train": trained.train_seconds, "test": time.perf_counter() - started - trained.train_seconds}
    row = ProtocolResult(
        "finetune",
        subject,
        ClassificationScores.from_metrics(result.metrics),
        settings,
        seconds,
        result.metrics,
        len(splits.train_records),
        result.test_logits.num_videos,
        list(result.test_logits.failed_paths),
    )
    return row, result
