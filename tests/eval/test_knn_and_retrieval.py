"""k-NN weighted votes and VCOP top-k retrieval against hand computations; the feature poolings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from temporal_ssl.eval.features import pool_feature_map
from temporal_ssl.eval.knn import knn_class_scores
from temporal_ssl.eval.retrieval import retrieval_topk


def unit(degrees: float) -> list[float]:
    return [math.cos(math.radians(degrees)), math.sin(math.radians(degrees))]


def test_knn_temperature_weighted_vote_matches_a_hand_computation() -> None:
    gallery = torch.tensor([[1.0, 0.0], [0.8, 0.6], [0.0, 1.0], [-1.0, 0.0]])
    labels = torch.tensor([0, 1, 1, 0])
    query = torch.tensor([[1.0, 0.2]])
    norm = math.hypot(1.0, 0.2)
    cos = [1.0 / norm, (0.8 + 0.6 * 0.2) / norm, 0.2 / norm]  # the three nearest, in order
    temperature = 0.5
    expected = [
        math.exp(cos[0] / temperature),
        math.exp(cos[1] / temperature) + math.exp(cos[2] / temperature),
    ]
    votes = knn_class_scores(query, gallery, labels, num_classes=2, k=3, temperature=temperature)
    assert votes[0].tolist() == pytest.approx(expected, rel=1e-5)
    assert votes[0].argmax().item() == 1  # two weaker neighbours outvote the nearest one
    nearest_only = knn_class_scores(query, gallery, labels, num_classes=2, k=1, temperature=temperature)
    assert nearest_only[0].tolist() == pytest.approx([expected[0], 0.0], rel=1e-5)
    uniform = knn_class_scores(query, gallery, labels, num_classes=2, k=3, weighting="uniform")
    assert uniform[0].tolist() == [1.0, 2.0]


def test_retrieval_counts_a_hit_when_any_of_the_k_nearest_shares_the_class() -> None:
    gallery_angles, gallery_labels = [0, 10, 20, 90, 180], [1, 2, 2, 0, 0]
    gallery = torch.tensor([unit(a) for a in gallery_angles])
    # Query 3 deg (class 0): neighbours 0, 10, 20, 90 (class 0 at rank 4), 180.
    # Query 170 deg (class 0): nearest is 180 -> hit at k=1.  Query 14 deg (class 2): nearest is 10 -> hit.
    queries = torch.tensor([unit(3), unit(170), unit(14)])
    query_labels = torch.tensor([0, 0, 2])
    topk = retrieval_topk(queries, query_labels, gallery, torch.tensor(gallery_labels), topk=(1, 3, 4, 5))
    assert topk == pytest.approx({1: 2 / 3, 3: 2 / 3, 4: 1.0, 5: 1.0})


def test_retrieval_agrees_with_a_brute_force_numpy_oracle() -> None:
    rng = np.random.default_rng(0)
    gallery, queries = rng.normal(size=(40, 6)), rng.normal(size=(15, 6))
    gallery_labels, query_labels = rng.integers(0, 5, 40), rng.integers(0, 5, 15)
    cosine = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ (
        gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
    ).T
    order = np.argsort(1 - cosine, axis=1, kind="stable")
    expected = {
        k: float(np.mean([query_labels[q] in gallery_labels[order[q, :k]] for q in range(15)]))
        for k in (1, 5, 10, 20)
    }
    got = retrieval_topk(
        torch.tensor(queries),
        torch.tensor(query_labels),
        torch.tensor(gallery),
        torch.tensor(gallery_labels),
        topk=(1, 5, 10, 20),
    )
    assert got == pytest.approx(expected)


def test_vcop_pooling_max_pools_1x2x2_windows_then_flattens() -> None:
    feature_map = torch.randn(2, 3, 4, 5, 4)  # [B, D, T', H', W'], odd height: the last row is dropped
    pooled = pool_feature_map(feature_map, "vcop_map")
    assert pooled.shape == (2, 3 * 4 * 2 * 2)
    expected = torch.empty(2, 3, 4, 2, 2)
    for i in range(2):
        for j in range(2):
            expected[..., i, j] = feature_map[..., 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].amax(dim=(-1, -2))
    assert torch.equal(pooled, expected.flatten(1))


def test_keep_time_pooling_averages_space_and_keeps_every_time_step() -> None:
    feature_map = torch.randn(2, 3, 4, 2, 2)
    pooled = pool_feature_map(feature_map, "keep_time")
    assert pooled.shape == (2, 12)
    for d in range(3):
        for t in range(4):
            assert torch.allclose(pooled[:, d * 4 + t], feature_map[:, d, t].mean(dim=(-1, -2)))
    assert torch.allclose(pool_feature_map(feature_map, "global"), feature_map.mean(dim=(2, 3, 4)))
