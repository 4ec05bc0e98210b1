"""Learning rate as a pure function of the optimizer step: linear warm-up, then cosine (or constant) decay.

A function of the step, not a stateful scheduler object, so resuming needs nothing but the step number and a
test can check the value at any step in one line.
"""

from __future__ import annotations

import math
from typing import Literal

ScheduleName = Literal["cosine", "constant"]


def learning_rate_at(
    step: int,
    *,
    base_lr: float,
    total_steps: int,
    warmup_steps: int = 0,
    min_lr: float = 0.0,
    warmup_start_lr: float = 0.0,
    schedule: ScheduleName = "cosine",
) -> float:
    """The learning rate of optimizer step ``step`` (0-based).

    Warm-up rises linearly from ``warmup_start_lr`` and reaches ``base_lr`` at step ``warmup_steps - 1`` (step
    0 already moves, so no step is wasted at lr 0). After warm-up, ``"cosine"`` follows half a cosine from
    ``base_lr`` at step ``warmup_steps`` to ``min_lr`` at step ``total_steps``; ``"constant"`` stays at
    ``base_lr``. Steps past ``total_steps`` keep ``min_lr``.

    Args:
        step: optimizer steps already taken (a micro-batch of gradient accumulation is not a step).
        base_lr: peak learning rate.
        total_steps: length of the run in optimizer steps.
        warmup_steps: steps of linear warm-up.
        min_lr: final learning rate of the cosine.
        warmup_start_lr: learning rate the warm-up starts from.
        schedule: ``"cosine"`` or ``"constant"``.
    """
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")
    if step < warmup_steps:
        return warmup_start_lr + (base_lr - warmup_start_lr) * (step + 1) / warmup_steps
    if schedule == "constant":
        return base_lr
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_lr + 0.5 * (base_lr - min_lr) * (1.0 + math.cos(math.pi * progress))
