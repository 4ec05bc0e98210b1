"""Seconds spent in each loading stage (decode, augment, collate), summed over every worker process.

Only the loader benchmark turns it on (``build_loader(..., stage_times=StageTimes())``); the sums live in
shared memory so the time spent inside DataLoader workers reaches the main process.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from temporal_ssl.pipeline.collate import collate_examples
from temporal_ssl.types import Batch, Example

STAGES = ("decode", "augment", "collate")
"""decode: plan, ``decode_views`` and ``make_example``; augment: the training augmentation; collate: Batch."""


class StageTimes:
    """Shared per-stage second counters."""

    def __init__(self) -> None:
        self._seconds = multiprocessing.Array("d", len(STAGES))

    @contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        """Add the wall time of the ``with`` body to ``stage``."""
        slot = STAGES.index(stage)
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            with self._seconds.get_lock():
                self._seconds[slot] += elapsed

    def totals(self) -> dict[str, float]:
        """Seconds per stage so far."""
        with self._seconds.get_lock():
            return {stage: float(self._seconds[slot]) for slot, stage in enumerate(STAGES)}

    def reset(self) -> None:
        with self._seconds.get_lock():
            for slot in range(len(STAGES)):
                self._seconds[slot] = 0.0


class TimedCollate:
    """``collate_examples`` that adds its time to ``times`` (picklable, for worker processes)."""

    def __init__(self, times: StageTimes) -> None:
        self.times = times

    def __call__(self, examples: Sequence[Example]) -> Batch:
        with self.times.measure("collate"):
            return collate_examples(examples)
