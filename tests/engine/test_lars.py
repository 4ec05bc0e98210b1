"""LARS against a hand-written update, and as ``optim.name: lars``."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from temporal_ssl.engine.lars import LARS
from temporal_ssl.engine.optim import OptimConfig, build_optimizer


def reference_lars(weights: list[list[float]], grads: list[list[list[float]]], *, lr: float, momentum: float,
                   decay: float, trust: float, eps: float) -> list[float]:
    """LARS on one flat weight vector over several steps, in plain Python floats."""
    w = list(weights[0])
    velocity = None
    for g in grads:
        g = g[0]
        w_norm = math.sqrt(sum(v * v for v in w))
        g_norm = math.sqrt(sum(v * v for v in g))
        local = trust * w_norm / (g_norm + decay * w_norm + eps)
        d = [local * (gi + decay * wi) for gi, wi in zip(g, w, strict=True)]
        velocity = d if velocity is None else [momentum * v + di for v, di in zip(velocity, d, strict=True)]
        w = [wi - lr * vi for wi, vi in zip(w, velocity, strict=True)]
    return w


def test_lars_matches_a_hand_written_update_over_three_steps() -> None:
    start = [[0.5, -1.0, 2.0, 0.25]]
    weight = nn.Parameter(torch.tensor(start, dtype=torch.float64))
    grads = [[[0.1, 0.2, -0.3, 0.05]], [[-0.4, 0.1, 0.0, 0.2]], [[0.3, -0.2, 0.1, -0.1]]]
    optimizer = LARS([weight], lr=0.6, momentum=0.9, weight_decay=1e-2, trust_coefficient=0.001, eps=1e-8)
    for g in grads:
        weight.grad = torch.tensor(g, dtype=torch.float64)
        optimizer.step()
    expected = reference_lars(start, grads, lr=0.6, momentum=0.9, decay=1e-2, trust=0.001, eps=1e-8)
    torch.testing.assert_close(weight.detach()[0], torch.tensor(expected, dtype=torch.float64), rtol=1e-12,
                               atol=1e-15)


def test_the_step_size_follows_the_weight_norm_not_the_gradient_scale() -> None:
    # Scaling a gradient by 100 leaves the LARS step (without weight decay) unchanged: ‖w‖/‖g‖ adapts.
    steps = []
    for scale in (1.0, 100.0):
        weight = nn.Parameter(torch.tensor([[3.0, 4.0]]))
        weight.grad = torch.tensor([[1.0, -2.0]]) * scale
        LARS([weight], lr=1.0, momentum=0.0, trust_coefficient=0.1, eps=0.0).step()
        steps.append(torch.tensor([[3.0, 4.0]]) - weight.detach())
    torch.testing.assert_close(steps[0], steps[1])
    assert steps[0].norm().item() == pytest.approx(0.1 * 5.0)  # η · ‖w‖ in the direction of g


def test_one_dimensional_tensors_take_a_plain_sgd_step() -> None:
    bias = nn.Parameter(torch.tensor([1.0, 2.0]))
    bias.grad = torch.tensor([0.5, -0.5])
    LARS([bias], lr=0.1, momentum=0.9, weight_decay=0.5).step()
    torch.testing.assert_close(bias.detach(), torch.tensor([0.95, 2.05]))


def test_optim_name_lars_builds_it_with_the_config_settings() -> None:
    model = nn.Linear(3, 2)
    optimizer = build_optimizer([model], OptimConfig(name="lars", lr=0.3, momentum=0.8, weight_decay=1e-6))
    assert isinstance(optimizer, LARS)
    decays = sorted(group["weight_decay"] for group in optimizer.param_groups)
    assert decays == [0.0, 1e-6] and all(group["momentum"] == 0.8 for group in optimizer.param_groups)
    model(torch.randn(4, 3)).square().sum().backward()
    before = model.weight.detach().clone()
    optimizer.step()
    assert not torch.equal(before, model.weight)
    # the state survives a round trip like any torch optimizer's (exact resume)
    again = build_optimizer([model], OptimConfig(name="lars", lr=0.3))
    again.load_state_dict(optimizer.state_dict())
    torch.testing.assert_close(again.state_dict()["state"][0]["momentum_buffer"],
                               optimizer.state_dict()["state"][0]["momentum_buffer"])
