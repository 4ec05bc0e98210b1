"""What an evaluation run produced: typed scores per (encoder, protocol), and what the run was about.

One :class:`EvalResult` is one run and one ``results.json`` (``temporal_ssl/eval/results.schema.json``,
described in ``docs/results_schema.md``). ``subject`` names the encoder a row is about: ``pretrained`` (the
checkpoint), ``random_init`` (the same architecture, randomly initialised) or ``supervised_scratch`` (trained
with labels from a random start by the dataset's fine-tuning protocol). A run that pretrained first carries a
:class:`PretrainingSummary`; a published recipe carries a :class:`RecipeInfo` and each row the published
values of its metrics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from temporal_ssl.eval.config import ClipViews, FeaturePooling
from temporal_ssl.eval.metrics import ClassificationMetrics

SCHEMA_VERSION: Final = 1
"""Version of the ``results.json`` layout; raised whenever a field changes meaning or is removed."""

PRETRAINED: Final = "pretrained"
RANDOM_INIT: Final = "random_init"
SUPERVISED_SCRATCH: Final = "supervised_scratch"
SubjectName = Literal["pretrained", "random_init", "supervised_scratch"]


def views_summary(views: ClipViews, pooling: FeaturePooling | None = None) -> dict[str, Any]:
    """The view settings every reported number must carry: clips N, crops M, frames T, stride, sizes."""
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


@dataclass(frozen=True)
class ClassificationScores:
    """Accuracies (fractions) of one classifier on the test videos.

    Args:
        video_top1, video_top5: softmax averaged over each video's views (top-5 ``None`` below 5 classes).
        clip_top1, clip_top5: every view scored alone (``None`` when views are not scored alone, e.g. k-NN).
        mean_class_accuracy: video-level recall averaged over the classes present in the test set.
    """

    video_top1: float
    video_top5: float | None
    clip_top1: float | None
    clip_top5: float | None
    mean_class_accuracy: float

    @classmethod
    def from_metrics(cls, metrics: ClassificationMetrics) -> ClassificationScores:
        """The named scores of a :class:`~temporal_ssl.eval.metrics.ClassificationMetrics`."""
        return cls(
            metrics.video_topk[1],
            metrics.video_topk.get(5),
            metrics.clip_topk.get(1),
            metrics.clip_topk.get(5),
            metrics.mean_class_accuracy,
        )

    @property
    def top1(self) -> float:
        """The headline number: video-level top-1."""
        return self.video_top1


@dataclass(frozen=True)
class RetrievalScores:
    """Nearest-neighbour retrieval: ``recall_at_k[k]`` is the fraction of test videos with a training video
    of their class among their ``k`` nearest."""

    recall_at_k: dict[int, float]

    @property
    def top1(self) -> float:
        """The headline number: recall at 1."""
        return self.recall_at_k[1]


Scores = ClassificationScores | RetrievalScores


@dataclass(frozen=True)
class PublishedValue:
    """A number a paper reports for one metric of a row, to print beside the measured one.

    Args:
        value: the published figure as a fraction (``0.649`` for 64.9 %).
        source: where it is published (paper, table).
        tag: how far it was checked (e.g. ``verified``, ``secondary``), when known.
        note: caveats (split, views, clip vs video level).
    """

    value: float
    source: str
    tag: str | None = None
    note: str | None = None


@dataclass
class ProtocolResult:
    """The scores of one encoder under one protocol.

    Args:
        protocol: ``linear_probe``, ``finetune``, ``knn`` or ``retrieval``.
        subject: which encoder (see the module docstring).
        metrics: the scores (:class:`ClassificationScores` or, for retrieval, :class:`RetrievalScores`).
        settings: the settings that produced them (views, pooling, chosen weight decay, k, steps ...).
        seconds: wall time of each stage (``train_features``, ``test_features``, ``fit``, ``train`` ...).
        classification: confusion matrix and per-class accuracy (classification protocols only).
        num_train_videos, num_test_videos: videos used.
        failed_videos: videos that could not be decoded and were left out.
        published: published values by metric name (``video_top1`` ...), for recipe runs.
    """

    protocol: str
    subject: str
    metrics: Scores
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    classification: ClassificationMetrics | None = None
    num_train_videos: int = 0
    num_test_videos: int = 0
    failed_videos: list[str] = field(default_factory=list)
    published: dict[str, PublishedValue] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``<subject>_<protocol>``, used for file names."""
        return f"{self.subject}_{self.protocol}"


@dataclass(frozen=True)
class PretrainingSummary:
    """The pretraining a run evaluated, when the same command pretrained first.

    Args:
        pretext: the pretext's registry name.
        steps, total_steps: optimizer steps done and planned.
        pretext_accuracy: a classification pretext's final accuracy (``None`` for other pretexts).
        pretext_at_chance: whether that accuracy ended at chance (``None`` when unknown).
        run_dir: the pretraining run folder (config, metrics log, checkpoints, loss curve).
        seconds: wall time of the pretraining command (0 when a finished run was reused).
    """

    pretext: str
    steps: int
    total_steps: int
    pretext_accuracy: float | None
    pretext_at_chance: bool | None
    run_dir: str
    seconds: float


@dataclass(frozen=True)
class InputSize:
    """What the encoder sees: ``frames`` per clip of ``height`` × ``width`` pixels."""

    frames: int
    height: int
    width: int


@dataclass(frozen=True)
class RecipeInfo:
    """The published recipe a run reproduces.

    Args:
        name: the recipe's name (e.g. ``vcop_ucf101_r3d``).
        paper: the paper it reproduces.
        input_size: the pretraining input.
        datasets: dataset name by role (``pretrain``, ``evaluate`` ...).
    """

    name: str
    paper: str
    input_size: InputSize
    datasets: dict[str, str] = field(default_factory=dict)


@dataclass
class EvalResult:
    """A whole evaluation run: one ``results.json``.

    Args:
        results: one row per (subject, protocol), in run order.
        encoder, encoder_options: the architecture evaluated.
        checkpoint: the checkpoint path (``None`` for ``--checkpoint random``).
        checkpoint_sha256: its SHA-256.
        class_names: the label order.
        config: the resolved evaluation config (plain mapping).
        pretraining: the pretraining this run did first, if any.
        recipe: the published recipe this run reproduces, if any.
        seconds: wall time of the run's stages (``pretrain``, ``evaluate`` ...).
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
    pretraining: PretrainingSummary | None = None
    recipe: RecipeInfo | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    output_dir: Path | None = None
    files: dict[str, str] = field(default_factory=dict)

    def get(self, protocol: str, subject: str = PRETRAINED) -> ProtocolResult:
        """The row of ``subject`` under ``protocol``; ``KeyError`` naming what exists otherwise."""
        for result in self.results:
            if result.protocol == protocol and result.subject == subject:
                return result
        have = ", ".join(f"{r.subject}/{r.protocol}" for r in self.results)
        raise KeyError(f"no result for {subject}/{protocol}; have: {have}")

    @property
    def chance(self) -> float:
        """Top-1 of a uniform guess: ``1 / number of classes``."""
        return 1.0 / len(self.class_names)

    def margin_over_random(self, protocol: str) -> float | None:
        """Pretrained minus random-init top-1 under ``protocol`` (fraction); ``None`` without both rows."""
        subjects = {r.subject: r for r in self.results if r.protocol == protocol}
        if PRETRAINED not in subjects or RANDOM_INIT not in subjects:
            return None
        return subjects[PRETRAINED].metrics.top1 - subjects[RANDOM_INIT].metrics.top1
