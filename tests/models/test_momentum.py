"""Momentum (EMA) update and its cosine schedule, checked numerically."""

from __future__ import annotations

import math

import pytest
import torch

from temporal_ssl.models import momentum_at, update_momentum


def test_cosine_schedule_rises_from_base_to_one() -> None:
    assert momentum_at(0, 100, 0.99) == pytest.approx(0.99)
    assert momentum_at(50, 100, 0.99) == pytest.approx(1 - 0.01 * 0.5)
    assert momentum_at(25, 100, 0.99) == pytest.approx(1 - 0.01 * (math.cos(math.pi / 4) + 1) / 2)
    assert momentum_at(100, 100, 0.99) == pytest.approx(1.0)
    assert momentum_at(500, 100, 0.99) == pytest.approx(1.0)  # past the end: clamped
    assert momentum_at(70, 100, 0.99, "constant") == 0.99


def test_schedule_rejects_impossible_values() -> None:
    with pytest.raises(ValueError, match="momentum must be in \\[0, 1\\], got 1.5"):
        momentum_at(0, 10, 1.5)
    with pytest.raises(ValueError, match="schedule 'linear' is not supported"):
        momentum_at(0, 10, 0.9, "linear")  # type: ignore[arg-type]


def test_update_is_the_ema_formula() -> None:
    torch.manual_seed(0)
    online, target = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    before = [p.detach().clone() for p in target.parameters()]
    update_momentum(target, online, 0.9)
    for new, old, source in zip(target.parameters(), before, online.parameters(), strict=True):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * source)
    update_momentum(target, online, 0.0)
    for new, source in zip(target.parameters(), online.parameters(), strict=True):
        torch.testing.assert_close(new, source)


def test_update_refuses_mismatched_modules() -> None:
    with pytest.raises(ValueError, match="the target must be a copy of the online module"):
        update_momentum(torch.nn.Linear(3, 2, bias=False), torch.nn.Linear(3, 2), 0.9)
