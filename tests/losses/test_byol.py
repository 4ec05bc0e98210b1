"""BYOL loss: analytic values (2 − 2 cos), both directions, stop-gradient on targets, descent."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from temporal_ssl.errors import ConfigError
from temporal_ssl.losses import BYOLLoss, byol_loss
from temporal_ssl.models import ModelOutput
from temporal_ssl.types import Batch


def _unit(angle_degrees: float) -> list[float]:
    return [math.cos(math.radians(angle_degrees)), math.sin(math.radians(angle_degrees))]


def test_analytic_value_is_two_minus_two_cosine() -> None:
    ids = torch.tensor([0, 0])
    for angle in (0.0, 60.0, 90.0, 180.0):
        predictions = torch.tensor([_unit(0.0), _unit(0.0)]) * 3.0  # scale does not matter: normalised
        targets = torch.tensor([_unit(0.0), _unit(angle)])
        # ordered pairs: (p0, z1) at `angle`, (p1, z0) at 0 degrees
        expected = ((2 - 2 * math.cos(math.radians(angle))) + 0.0) / 2
        assert float(byol_loss(predictions, targets, ids)) == pytest.approx(expected, abs=1e-6)


def test_module_stops_gradients_through_the_keys(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(0)
    predictions = torch.randn(3, 2, 4, requires_grad=True)
    keys = torch.randn(3, 2, 4, requires_grad=True)
    output = ModelOutput(features=predictions, embeddings=predictions, predictions=predictions, keys=keys)
    loss = BYOLLoss()(output, make_batch([[0, 0]] * 3), 0).loss
    loss.backward()
    assert keys.grad is None and predictions.grad is not None
    p = torch.nn.functional.normalize(predictions.detach(), dim=2)
    z = torch.nn.functional.normalize(keys.detach(), dim=2)
    forward, backward = (2 - 2 * (p[:, 0] * z[:, 1]).sum(1)), (2 - 2 * (p[:, 1] * z[:, 0]).sum(1))
    expected = (forward.mean() + backward.mean()) / 2
    assert float(loss.detach()) == pytest.approx(float(expected), rel=1e-5)
    with pytest.raises(ConfigError, match="needs ModelOutput.predictions"):
        BYOLLoss()(ModelOutput(features=keys, embeddings=keys, keys=keys), make_batch([[0, 0]] * 3), 0)


def test_gradient_steps_lower_the_loss(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(1)
    batch = make_batch([[0, 0, 0]] * 4)
    predictions = torch.nn.Parameter(torch.randn(4, 3, 6))
    keys = torch.randn(4, 3, 6)
    optimizer = torch.optim.SGD([predictions], lr=1.0)

    def loss() -> torch.Tensor:
        return BYOLLoss()(ModelOutput(features=keys, predictions=predictions, keys=keys), batch, 0).loss

    first = float(loss().detach())
    for _ in range(30):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    assert float(loss().detach()) < 0.7 * first
