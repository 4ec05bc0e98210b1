"""Heads: output shapes, per-view application, and the pairwise order head against a loop oracle."""

from __future__ import annotations

import re
from itertools import combinations

import pytest
import torch

from temporal_ssl.errors import ConfigError
from temporal_ssl.models import build_head
from temporal_ssl.registry import HEADS


def test_linear_head_classifies_the_chosen_view() -> None:
    head = build_head("linear", {"num_classes": 5, "view": 1}, 8)
    features = torch.randn(4, 3, 8)
    assert head(features).shape == (4, 5)
    torch.testing.assert_close(head(features), head.fc(features[:, 1]))
    assert build_head("linear", {"num_classes": 5}, 8)(torch.randn(4, 8)).shape == (4, 5)


@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_projection_mlp_maps_every_view_separately(num_layers: int) -> None:
    head = build_head("projection_mlp", {"out_dim": 6, "hidden_dim": 16, "num_layers": num_layers}, 8).eval()
    features = torch.randn(4, 3, 8)
    out = head(features)
    assert out.shape == (4, 3, 6)
    assert sum(isinstance(m, torch.nn.Linear) for m in head.modules()) == num_layers
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in head.modules()) == num_layers - 1
    torch.testing.assert_close(out[:, 2], head(features[:, 2]))  # view 2 alone gives the same vectors
    assert head.produces == "embeddings" and head.out_features == 6


def test_byol_predictor_and_identity_keep_the_width() -> None:
    predictor = build_head("byol_predictor", {"hidden_dim": 32}, 6)
    assert predictor(torch.randn(4, 2, 6)).shape == (4, 2, 6)
    identity = build_head("identity", {}, 6)
    features = torch.randn(4, 2, 6)
    assert identity(features) is features and identity.out_features == 6


def test_order_concat_concatenates_views_in_order() -> None:
    head = build_head("order_concat", {"num_views": 3, "num_classes": 2}, 4).eval()
    features = torch.randn(5, 3, 4)
    expected = head.classifier[-1](features.reshape(5, 12))
    torch.testing.assert_close(head(features), expected)
    with pytest.raises(ValueError, match="was built for num_views=3 but got 2 views"):
        head(torch.randn(5, 2, 4))


@pytest.mark.parametrize("num_views", [2, 3, 4])
def test_order_pairwise_uses_every_pair_once(num_views: int) -> None:
    head = build_head("order_pairwise", {"num_views": num_views, "num_classes": 7, "hidden_dim": 5}, 4).eval()
    assert head.pairs == list(combinations(range(num_views), 2))
    assert len(head.pairs) == num_views * (num_views - 1) // 2
    assert head.classifier.in_features == len(head.pairs) * 5
    features = torch.randn(3, num_views, 4)
    # Oracle: the VCOP head written with loops over pairs.
    fused = [torch.relu(head.pair_fc(torch.cat([features[:, i], features[:, j]], dim=1)))
             for i in range(num_views) for j in range(i + 1, num_views)]
    torch.testing.assert_close(head(features), head.classifier(torch.cat(fused, dim=1)))


def test_order_pairwise_depends_on_view_order() -> None:
    head = build_head("order_pairwise", {"num_views": 3, "num_classes": 6}, 4).eval()
    features = torch.randn(2, 3, 4)
    assert not torch.allclose(head(features), head(features[:, [2, 0, 1]]))


def test_head_options_are_checked() -> None:
    expected = {"linear", "projection_mlp", "order_concat", "order_pairwise", "byol_predictor", "identity"}
    assert expected <= set(HEADS.names())
    message = "unknown key 'model.head.num_class'; did you mean 'num_classes'?"
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_head("order_pairwise", {"num_views": 3, "num_class": 6}, 4)
    with pytest.raises(ConfigError, match="missing a required argument: 'num_classes'"):
        build_head("linear", {}, 4)
