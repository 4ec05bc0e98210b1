"""Weighted k-nearest-neighbour classification of video features (cosine similarity).

Each video is one vector (its views averaged), L2-normalised; a test video's ``k`` most similar training
videos vote for their classes. With ``temperature`` weighting a neighbour of similarity ``s`` votes
``exp(s / T)`` (InstDisc, Wu et al. 2018; DINO's k-NN eval: k = 20 or 200, T = 0.07); with ``uniform``
weighting each votes 1. Classes are ranked by their summed votes, so top-5 comes from the same scores.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
import torch.nn.functional as F

from temporal_ssl.eval.config import KnnConfig
from temporal_ssl.eval.features import FeatureSet
from temporal_ssl.eval.linear_probe import fit_scaler
from temporal_ssl.eval.metrics import ClassificationMetrics, classification_metrics


def knn_class_scores(
    queries: torch.Tensor,
    gallery: torch.Tensor,
    gallery_labels: torch.Tensor,
    *,
    num_classes: int,
    k: int,
    temperature: float = 0.07,
    weighting: Literal["temperature", "uniform"] = "temperature",
    chunk_size: int = 1024,
) -> torch.Tensor:
    """float ``[Q, C]``: the summed votes of each query's ``k`` nearest gallery vectors (cosine).

    Args:
        queries: float ``[Q, F]``; gallery: float ``[G, F]`` (both normalised here).
        gallery_labels: int64 ``[G]``.
        num_classes: ``C``.
        k: neighbours (capped at ``G``).
        temperature, weighting: vote weights (see the module docstring).
        chunk_size: queries per similarity block (bounds memory at ``chunk_size × G``).
    """
    queries = F.normalize(queries.float(), dim=1)
    gallery = F.normalize(gallery.float(), dim=1)
    k = min(k, gallery.shape[0])
    scores = torch.zeros(queries.shape[0], num_classes)
    for start in range(0, queries.shape[0], chunk_size):
        similarity = queries[start : start + chunk_size] @ gallery.T
        top_similarity, top_index = similarity.topk(k, dim=1)
        votes = (
            (top_similarity / temperature).exp()
            if weighting == "temperature"
            else torch.ones_like(top_similarity)
        )
        scores[start : start + chunk_size].scatter_add_(1, gallery_labels[top_index].long(), votes)
    return scores


def run_knn(
    train: FeatureSet,
    test: FeatureSet,
    *,
    num_classes: int,
    config: KnnConfig,
    class_names: Sequence[str] = (),
) -> tuple[ClassificationMetrics, torch.Tensor]:
    """k-NN top-1/top-5 of the test videos against the training videos; returns the metrics and votes."""
    gallery, queries = train.video_features(), test.video_features()
    if config.standardize:
        scaler = fit_scaler(gallery)
        gallery, queries = scaler(gallery), scaler(queries)
    votes = knn_class_scores(
        queries,
        gallery,
        train.labels,
        num_classes=num_classes,
        k=config.k,
        temperature=config.temperature,
        weighting=config.weighting,
    )
    metrics = classification_metrics(
        votes, test.labels, num_classes=num_classes, class_names=class_names, scores_are_probabilities=True
    )
    return metrics, votes
