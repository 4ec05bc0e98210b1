"""Learning-rate schedule values at known steps, checked against closed forms written out in the test."""

from __future__ import annotations

import math

import pytest

from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.engine.schedule import learning_rate_at


def test_warmup_rises_linearly_and_reaches_base_lr_at_its_last_step() -> None:
    values = [learning_rate_at(s, base_lr=1.0, total_steps=100, warmup_steps=4) for s in range(4)]
    assert values == pytest.approx([0.25, 0.5, 0.75, 1.0])


def test_warmup_starts_from_warmup_start_lr() -> None:
    lr = learning_rate_at(0, base_lr=1.0, total_steps=100, warmup_steps=2, warmup_start_lr=0.2)
    assert lr == pytest.approx(0.2 + 0.8 * 0.5)


@pytest.mark.parametrize("step", [10, 25, 55, 77, 100])
def test_cosine_matches_closed_form_after_warmup(step: int) -> None:
    base, low, warmup, total = 0.4, 0.01, 10, 100
    expected = low + 0.5 * (base - low) * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))
    got = learning_rate_at(step, base_lr=base, total_steps=total, warmup_steps=warmup, min_lr=low)
    assert got == pytest.approx(expected)


def test_cosine_endpoints_and_past_the_end() -> None:
    kwargs = dict(base_lr=0.1, total_steps=50, warmup_steps=0, min_lr=0.001)
    assert learning_rate_at(0, **kwargs) == pytest.approx(0.1)
    assert learning_rate_at(25, **kwargs) == pytest.approx(0.001 + 0.5 * 0.099)
    assert learning_rate_at(50, **kwargs) == pytest.approx(0.001)
    assert learning_rate_at(80, **kwargs) == pytest.approx(0.001)


def test_constant_schedule_holds_base_lr_after_warmup() -> None:
    lrs = {
        learning_rate_at(s, base_lr=0.3, total_steps=20, warmup_steps=3, schedule="constant")
        for s in range(3, 30)
    }
    assert lrs == {0.3}


def test_cosine_is_monotone_non_increasing_after_warmup() -> None:
    config = OptimConfig(lr=1e-3, warmup_steps=5, min_lr=1e-5)
    lrs = [config.lr_at(s, 200) for s in range(5, 201)]
    assert all(a >= b for a, b in zip(lrs, lrs[1:], strict=False))
    assert lrs[0] == pytest.approx(1e-3) and lrs[-1] == pytest.approx(1e-5)
