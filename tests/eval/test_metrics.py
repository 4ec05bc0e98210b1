"""Clip- and video-level accuracy, top-k, confusion and per-class accuracy against hand computations."""

from __future__ import annotations

import math

import pytest
import torch

from temporal_ssl.eval.metrics import classification_metrics, topk_correct, video_probabilities


def softmax(row: list[float]) -> list[float]:
    exps = [math.exp(v) for v in row]
    return [e / sum(exps) for e in exps]


def test_video_level_averages_softmax_over_views_not_logits() -> None:
    # Two views of one video: averaged logits pick class 1, averaged softmax picks class 0.
    views = [[20.0, 0.0, 0.0], [-20.0, 1.0, 0.0]]
    logits = torch.tensor([views])
    by_hand = [(softmax(views[0])[c] + softmax(views[1])[c]) / 2 for c in range(3)]
    assert torch.allclose(video_probabilities(logits)[0], torch.tensor(by_hand), atol=1e-6)
    assert logits.mean(dim=1).argmax().item() == 1
    assert max(range(3), key=by_hand.__getitem__) == 0
    metrics = classification_metrics(logits, torch.tensor([0]), num_classes=3)
    assert metrics.video_topk[1] == 1.0
    assert metrics.clip_topk[1] == 0.5


def test_clip_and_video_accuracy_on_a_hand_built_example() -> None:
    # 3 videos x 3 views, 4 classes. Correct views: video 0: 3/3, video 1: 1/3, video 2: 0/3 -> clip 4/9.
    logits = torch.full((3, 3, 4), -1.0)
    logits[0, :, 2] = 2.0  # video 0, label 2: every view right
    logits[1, 0, 1] = 9.0  # video 1, label 1: one very confident right view ...
    logits[1, 1, 3] = 0.0  # ... and two mildly wrong ones
    logits[1, 2, 3] = 0.0
    logits[2, :, 0] = 3.0  # video 2, label 3: every view says class 0
    labels = torch.tensor([2, 1, 3])
    metrics = classification_metrics(logits, labels, num_classes=4, class_names=["a", "b", "c", "d"])
    assert metrics.clip_topk[1] == pytest.approx(4 / 9)
    # Video 1 by hand: mean softmax of class 1 vs class 3.
    views = [[-1.0, 9.0, -1.0, -1.0], [-1.0, -1.0, -1.0, 0.0], [-1.0, -1.0, -1.0, 0.0]]
    mean = [sum(softmax(v)[c] for v in views) / 3 for c in range(4)]
    assert max(range(4), key=mean.__getitem__) == 1  # the confident view wins the average
    assert metrics.video_topk[1] == pytest.approx(2 / 3)
    assert metrics.confusion == [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]
    assert metrics.per_class == [None, 1.0, 1.0, 0.0]
    assert metrics.mean_class_accuracy == pytest.approx(2 / 3)
    assert metrics.views_per_video == 3 and metrics.num_videos == 3
    assert 5 not in metrics.video_topk  # top-5 of 4 classes would be meaningless


def test_topk_correct_counts_the_label_among_the_k_best() -> None:
    scores = torch.tensor([[0.1, 0.5, 0.3, 0.2], [0.9, 0.05, 0.03, 0.02]])
    labels = torch.tensor([2, 3])
    assert topk_correct(scores, labels, 1).tolist() == [False, False]
    assert topk_correct(scores, labels, 2).tolist() == [True, False]
    assert topk_correct(scores, labels, 4).tolist() == [True, True]


def test_metrics_refuse_labels_outside_the_classes() -> None:
    with pytest.raises(ValueError, match="test labels must lie in"):
        classification_metrics(torch.zeros(2, 1, 3), torch.tensor([0, -1]), num_classes=3)
