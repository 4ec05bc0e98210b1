"""Classification scores: top-k, clip- vs video-level accuracy over multi-view tests, per class, confusion.

Clip level scores every view (clip × crop) on its own and averages over all views of all videos — the expected
accuracy of a single clip (VCOP's ``test_sample_num=1`` draws one). Video level averages the softmax over a
video's ``N·M`` views and takes the argmax (PySlowFast, VideoMAE, VCOP's ``linspace`` clips). A score means
little without N, M, clip length and stride, so they are always reported beside it;
:class:`ClassificationMetrics` keeps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

TOPK = (1, 5)


def topk_correct(scores: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
    """bool ``[N]``: whether ``labels[i]`` is among the ``k`` highest ``scores[i]`` (``[N, C]``).

    Ties are broken by class index (lower first), as ``torch.topk`` on CPU does for equal values.
    """
    if scores.ndim != 2 or labels.shape != scores.shape[:1]:
        raise ValueError(
            f"scores must be [N, C] and labels [N], got {tuple(scores.shape)} and {tuple(labels.shape)}"
        )
    k = min(k, scores.shape[1])
    top = scores.topk(k, dim=1).indices
    return (top == labels[:, None]).any(dim=1)


def video_probabilities(view_logits: torch.Tensor) -> torch.Tensor:
    """``[V, C]``: the softmax of each view's logits ``[V, K, C]`` averaged over the ``K`` views."""
    if view_logits.ndim != 3:
        raise ValueError(f"view logits must be [V, K, C], got shape {tuple(view_logits.shape)}")
    return view_logits.float().softmax(dim=2).mean(dim=1)


def confusion_matrix(predictions: torch.Tensor, labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """int64 ``[C, C]``: row = true class, column = predicted class."""
    flat = labels.long() * num_classes + predictions.long()
    return torch.bincount(flat, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def per_class_accuracy(confusion: torch.Tensor) -> list[float | None]:
    """Recall of each class (diagonal / row sum); ``None`` for a class absent from the test set."""
    totals = confusion.sum(dim=1)
    return [
        None if int(totals[c]) == 0 else float(confusion[c, c]) / float(totals[c])
        for c in range(confusion.shape[0])
    ]


@dataclass
class ClassificationMetrics:
    """Accuracy of one classifier on one test set.

    Args:
        video_topk: ``{k: accuracy}`` from softmax-averaged views (k ≤ number of classes).
        clip_topk: ``{k: accuracy}`` of single views (``{}`` when there is one view per video and the score
            is the video's own, e.g. k-NN of averaged features).
        num_videos, views_per_video: test videos scored and ``K = N·M``.
        confusion: video-level confusion matrix ``[C][C]`` (row = truth).
        per_class: video-level accuracy of each class (``None``: no test video of that class).
        class_names: names of the ``C`` classes.
        mean_class_accuracy: the mean of ``per_class`` over classes present.
    """

    video_topk: dict[int, float]
    clip_topk: dict[int, float]
    num_videos: int
    views_per_video: int
    confusion: list[list[int]]
    per_class: list[float | None]
    class_names: list[str] = field(default_factory=list)

    @property
    def mean_class_accuracy(self) -> float:
        present = [a for a in self.per_class if a is not None]
        return sum(present) / len(present) if present else float("nan")


def classification_metrics(
    view_scores: torch.Tensor,
    labels: torch.Tensor,
    *,
    num_classes: int,
    class_names: Sequence[str] = (),
    topk: Sequence[int] = TOPK,
    scores_are_probabilities: bool = False,
) -> ClassificationMetrics:
    """Clip- and video-level top-k, confusion and per-class accuracy of per-view scores.

    Args:
        view_scores: float ``[V, K, C]`` logits of every view (or ``[V, C]`` video scores, ``K = 1``).
        labels: int64 ``[V]`` in ``[0, C)``.
        num_classes: ``C``.
        class_names: the class names for the report.
        topk: ``k`` values; values above ``C`` are left out (every class would be "in the top k").
        scores_are_probabilities: ``view_scores`` are already video-level votes or probabilities (k-NN):
            they are ranked as given, and no clip-level score is reported.
    """
    if view_scores.ndim == 2:
        view_scores = view_scores[:, None]
    if view_scores.shape[0] != labels.shape[0] or view_scores.shape[2] != num_classes:
        raise ValueError(
            f"scores {tuple(view_scores.shape)} do not fit {labels.shape[0]} labels of {num_classes} classes"
        )
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(
            f"test labels must lie in [0, {num_classes}); got {int(labels.min())}.."
            f"{int(labels.max())} (unlabeled videos in the test split?)"
        )
    ks = [k for k in topk if k <= num_classes]
    labels = labels.long()
    if scores_are_probabilities:
        video = view_scores.float().mean(dim=1)
        clip: dict[int, float] = {}
    else:
        video = video_probabilities(view_scores)
        views = view_scores.shape[1]
        flat_scores = view_scores.reshape(-1, num_classes)
        flat_labels = labels.repeat_interleave(views)
        clip = {k: float(topk_correct(flat_scores, flat_labels, k).float().mean()) for k in ks}
    video_topk = {k: float(topk_correct(video, labels, k).float().mean()) for k in ks}
    confusion = confusion_matrix(video.argmax(dim=1), labels, num_classes)
    names = list(class_names) if class_names else [str(c) for c in range(num_classes)]
    return ClassificationMetrics(
        video_topk,
        clip,
        int(labels.shape[0]),
        int(view_scores.shape[1]),
        confusion.tolist(),
        per_class_accuracy(confusion),
        names,
    )
