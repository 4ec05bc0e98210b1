"""Temporal-coherence loss by hand and under descent."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from temporal_ssl.losses import CoherenceLoss, coherence_loss
from temporal_ssl.models import ModelOutput
from temporal_ssl.types import Batch


def test_value_by_hand() -> None:
    embeddings = torch.tensor([[0.0, 0.0], [0.5, 0.0], [0.0, 0.25], [2.0, 1.0]])
    ids = torch.tensor([0, 0, 1, 1])
    # positive pairs (0,1): L1 0.5; (2,3): 2.75 -> mean 1.625
    # negative pairs (0,2) 0.25, (0,3) 3.0, (1,2) 0.75, (1,3) 2.5
    #   -> hinge(1 - d): 0.75, 0, 0.25, 0 -> mean 0.25
    loss, metrics = coherence_loss(embeddings, ids, margin=1.0, negative_weight=2.0)
    assert float(loss) == pytest.approx(1.625 + 2.0 * 0.25)
    assert metrics["positive_l1"] == pytest.approx(1.625)


def test_gradient_steps_lower_the_loss(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(0)
    batch = make_batch([[0, 0]] * 5)
    embeddings = torch.nn.Parameter(0.1 * torch.randn(5, 2, 4))
    optimizer = torch.optim.SGD([embeddings], lr=0.05)
    loss_fn = CoherenceLoss(margin=2.0)

    def loss() -> torch.Tensor:
        return loss_fn(ModelOutput(features=embeddings, embeddings=embeddings), batch, 0).loss

    first = float(loss().detach())
    for _ in range(40):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    assert float(loss().detach()) < 0.5 * first
