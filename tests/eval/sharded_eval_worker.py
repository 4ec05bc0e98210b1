"""What each rank of the sharded-evaluation test does, and the single-process reference of the same.

:func:`rank_job` runs on each of two gloo ranks: every rank extracts its share of the videos (through the
feature cache, twice: a miss, then a hit), runs the linear probe and k-NN on the gathered features,
fine-tunes a BN-free toy encoder with DDP and tests it, and saves ``rank<r>.pt``. The test calls
:func:`evaluate` and :func:`finetune` in its own process for the reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from temporal_ssl.data.transforms import VideoEvalTransform
from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.eval.config import (
    ClipViews,
    ExtractionConfig,
    FinetuneConfig,
    KnnConfig,
    LinearProbeConfig,
)
from temporal_ssl.eval.feature_cache import cached_features
from temporal_ssl.eval.features import FeatureRequest
from temporal_ssl.eval.finetune import run_finetune
from temporal_ssl.eval.knn import run_knn
from temporal_ssl.eval.linear_probe import run_linear_probe
from temporal_ssl.pipeline.loader import LoaderConfig
from temporal_ssl.types import VideoRecord
from tests.engine.toy import ToyEncoder

VIEWS = ClipViews(
    num_clips=2,
    num_frames_per_clip=4,
    frame_stride=2,
    transform=VideoEvalTransform(resize=None, crop_size=24, num_crops=3, normalize=False),
)


def evaluate(records: list[VideoRecord], cache_dir: Path) -> dict[str, Any]:
    """Features (computed, then read back from the cache), linear-probe and k-NN metrics of ``records``."""
    clips_seen = []

    def time_profile(clips: torch.Tensor) -> torch.Tensor:
        """Per clip, each channel's mean brightness at every time step: ``[B, C·T]`` (batch-independent)."""
        clips_seen.append(clips.shape[0])
        return clips.mean(dim=(3, 4)).flatten(1)

    extraction = ExtractionConfig(
        batch_size=2, num_workers=0, progress_bar=False, cache=True, cache_dir=str(cache_dir)
    )
    request = [FeatureRequest("profile", time_profile, cache_id="time-profile")]
    computed = cached_features(request, records, VIEWS, extraction=extraction)["profile"]
    cached = cached_features(request, records, VIEWS, extraction=extraction)["profile"]
    probe = run_linear_probe(
        cached, cached, num_classes=3, config=LinearProbeConfig(weight_decay=1e-3, max_iterations=50)
    )
    knn, votes = run_knn(cached, cached, num_classes=3, config=KnnConfig(k=3))
    return {
        "computed": computed.features,
        "cached": cached.features,
        "labels": cached.labels,
        "paths": cached.paths,
        "failed_paths": cached.failed_paths,
        "clips_seen": sum(clips_seen),
        "probe_metrics": probe.metrics,
        "probe_logits": probe.test_logits,
        "knn_metrics": knn,
        "knn_votes": votes,
    }


def finetune(records: list[VideoRecord], out: Path, *, batch_size: int) -> dict[str, Any]:
    """Fine-tune a BN-free toy encoder for 3 steps of ``batch_size`` clips per process, then test it."""
    torch.manual_seed(0)
    config = FinetuneConfig(
        num_frames_per_clip=4,
        augment=None,
        max_steps=3,
        epochs=None,
        optim=OptimConfig(name="sgd", lr=0.05, weight_decay=0.0),
        loader=LoaderConfig(batch_size=batch_size, num_workers=0, decode_size=(16, 16)),
        amp="off",
        log_every_steps=1,
        progress_bar=False,
        test_views=VIEWS,
    )
    extraction = ExtractionConfig(batch_size=2, num_workers=0, progress_bar=False, cache=False)
    result = run_finetune(
        ToyEncoder(), records, records, num_classes=3, config=config, extraction=extraction, output_dir=out
    )
    return {
        "weights": result.trained.model.state_dict(),
        "checkpoint": result.trained.checkpoint,
        "logits": result.test_logits.features,
        "metrics": result.metrics,
    }


def rank_job(rank: int, records: dict[str, list[VideoRecord]], out: Path) -> None:
    """Evaluate ``records["eval"]``, fine-tune on ``records["finetune"]`` and save ``out/rank<rank>.pt``."""
    result = evaluate(records["eval"], out / "cache")
    result["finetune"] = finetune(records["finetune"], out / "finetune", batch_size=1)
    torch.save(result, out / f"rank{rank}.pt")
