"""End-of-run health check: did a classification pretext learn anything, or did it end at chance?

Order pretexts (VCOP, OPN, Shuffle & Learn, arrow of time) typically sit at chance for hundreds of steps
before they jump; a run that ends there learned nothing useful and must be flagged, not quietly evaluated.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger(__name__)

CHANCE_MARGIN = 0.05
"""Accuracy within this many points (absolute) of chance counts as "at chance"."""


def final_accuracy(
    records: Sequence[dict[str, Any]], key: str = "accuracy", fraction: float = 0.1
) -> float | None:
    """Mean of ``key`` over the last ``fraction`` of the logged windows (at least one), else ``None``."""
    values = [float(r[key]) for r in records if isinstance(r.get(key), (int, float))]
    if not values:
        return None
    tail = values[-max(1, int(len(values) * fraction)) :]
    return sum(tail) / len(tail)


def pretext_at_chance(accuracy: float | None, num_classes: int | None) -> bool | None:
    """Whether ``accuracy`` of a ``num_classes``-way pretext lies within :data:`CHANCE_MARGIN` of chance.

    ``None`` when it cannot be told (no accuracy logged, or not a classification pretext).
    """
    if accuracy is None or not num_classes or num_classes < 2:
        return None
    return accuracy < 1.0 / num_classes + CHANCE_MARGIN


def warn_if_at_chance(pretext: str, accuracy: float | None, num_classes: int | None) -> bool | None:
    """Log a warning naming the fixes when the pretext ended at chance; returns :func:`pretext_at_chance`."""
    at_chance = pretext_at_chance(accuracy, num_classes)
    if at_chance and num_classes:
        logger.warning(
            "pretext '%s' ended at chance: accuracy %.3f vs chance %.3f (%d classes). Its features are "
            "unlikely to help downstream. Order pretexts often sit at chance for 400-900 steps before they "
            "jump: train longer (train.max_steps), lower optim.lr (e.g. 1.5e-4), or check that the corpus "
            "has an arrow of time.",
            pretext,
            accuracy,
            1.0 / num_classes,
            num_classes,
        )
    return at_chance
