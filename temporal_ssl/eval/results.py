"""What an evaluation run produced: one :class:`ProtocolResult` per (encoder, protocol), and its identity.

``subject`` names the encoder a row is about: ``pretrained`` (the checkpoint), ``random_init`` (the same
architecture, randomly initialised) or ``supervised_scratch`` (trained with labels from a random start by the
fine-tuning protocol).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from temporal_ssl.eval.config import ClipViews, FeaturePooling
from temporal_ssl.eval.metrics import ClassificationMetrics

PRETRAINED: Final = "pretrained"
RANDOM_INIT: Final = "random_init"
SUPERVISED_SCRATCH: Final = "supervised_scratch"


def views_summary(views: ClipViews, pooling: FeaturePooling | None = None) -> dict[str, Any]:
    """The view settings every reported number must carry (METHODS.md §6.2): N, M, T, stride, sizes."""
    out: dict[str, Any] = {
        "num_clips": views.num_clips,
        "num_crops": views.num_crops,
        "num_frames_per_clip": views.num_frames_per_clip,
        "frame_stride": views.frame_stride,
        "resize": views.transform.resize,
        "crop_size": views.transform.crop_size,
    }
    if pooling is not None:
        out["pooling"] = pooling
    return out


@dataclass
class ProtocolResult:
    """The scores of one encoder under one protocol.

    Args:
        protocol: ``linear_probe``, ``finetune``, ``knn`` or ``retrieval``.
        subject: which encoder (see the module docstring).
        metrics: every number, flat (``video_top1``, ``clip_top1``, ``retrieval_top5`` ...).
        settings: the settings that produced them (views, pooling, chosen weight decay, k, steps ...).
        seconds: wall time of each stage (``train_features``, ``test_features``, ``fit``, ``train`` ...).
        classification: confusion matrix and per-class accuracy (classification protocols only).
        num_train_videos, num_test_videos: videos used.
        failed_videos: videos that could not be decoded and were left out.
    """

    protocol: str
    subject: str
    metrics: dict[str, float]
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    classification: ClassificationMetrics | None = None
    num_train_videos: int = 0
    num_test_videos: int = 0
    failed_videos: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """``<subject>_<protocol>``, used for file names."""
        return f"{self.subject}_{self.protocol}"


@dataclass
class EvalResult:
    """A whole evaluation run.

    Args:
        results: one row per (subject, protocol), in run order.
        encoder, encoder_options: the architecture evaluated.
        checkpoint: the checkpoint path (``None`` for ``--checkpoint random``).
        checkpoint_sha256: its SHA-256.
        class_names: the label order.
        config: the resolved evaluation config (plain mapping).
        output_dir: where the report was written (``None`` until it is).
        files: report files by kind.
    """

    results: list[ProtocolResult]
    encoder: str
    encoder_options: dict[str, Any]
    checkpoint: str | None
    checkpoint_sha256: str | None
    class_names: list[str]
    config: dict[str, Any]
    output_dir: Path | None = None
    files: dict[str, str] = field(default_factory=dict)

    def get(self, protocol: str, subject: str = PRETRAINED) -> ProtocolResult:
        """The row of ``subject`` under ``protocol``; ``KeyError`` naming what exists otherwise."""
        for result in self.results:
            if result.protocol == protocol and result.subject == subject:
                return result
        have = ", ".join(f"{r.subject}/{r.protocol}" for r in self.results)
        raise KeyError(f"no result for {subject}/{protocol}; have: {have}")
