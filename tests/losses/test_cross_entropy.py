"""Cross-entropy over order classes: value against log-softmax by hand, accuracy, bad targets."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from temporal_ssl.losses import CrossEntropyLoss
from temporal_ssl.models import ModelOutput
from temporal_ssl.types import Batch


def _batch(make_batch: Callable[..., Batch], target: list[int]) -> Batch:
    batch = make_batch([[0]] * len(target))
    batch.target = torch.tensor(target)
    return batch


def test_value_and_accuracy_by_hand(make_batch: Callable[..., Batch]) -> None:
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 3.0]])
    out = CrossEntropyLoss()(ModelOutput(features=logits, logits=logits), _batch(make_batch, [0, 1]), 0)
    first = -(2.0 - math.log(math.exp(2.0) + 2.0))
    second = -(1.0 - math.log(1.0 + math.exp(1.0) + math.exp(3.0)))
    assert float(out.loss) == pytest.approx((first + second) / 2)
    assert out.metrics["accuracy"] == 0.5


def test_a_pretext_without_targets_is_refused(make_batch: Callable[..., Batch]) -> None:
    logits = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="a target of -1 means the pretext has no class target"):
        CrossEntropyLoss()(ModelOutput(features=logits, logits=logits), _batch(make_batch, [-1, -1]), 0)
    with pytest.raises(ValueError, match="class targets must lie in \\[0, 3\\)"):
        CrossEntropyLoss()(ModelOutput(features=logits, logits=logits), _batch(make_batch, [0, 3]), 0)


def test_gradient_steps_lower_the_loss(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(0)
    logits = torch.nn.Parameter(torch.randn(8, 6))
    batch = _batch(make_batch, [0, 1, 2, 3, 4, 5, 0, 1])
    optimizer = torch.optim.SGD([logits], lr=5.0)
    first = None
    for step in range(10):
        loss = CrossEntropyLoss()(ModelOutput(features=logits, logits=logits), batch, step).loss
        first = float(loss.detach()) if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < 0.5 * first
