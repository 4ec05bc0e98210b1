"""How many CPUs this process may use, and torch's thread count beside loader worker processes.

On a CPU-only machine a loader's worker processes and torch's compute threads share the cores. torch starts
as many threads as there are cores, so two workers beside two compute threads oversubscribe a 2-core machine
and slow training down; ``python -m benchmarks.train --compare-threads`` measures the difference.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the OS has one, else the CPU count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextmanager
def threads_beside_workers(num_workers: int, device: torch.device | str) -> Iterator[None]:
    """While the body runs on the CPU, give torch the CPUs ``num_workers`` loader processes leave free (>= 1).

    Does nothing on a GPU, with no workers, or when ``OMP_NUM_THREADS`` pins the count (the user's or
    torchrun's choice wins). The previous count is restored afterwards.
    """
    import torch  # deferred: the corpus generator's processes count CPUs without importing torch

    if torch.device(device).type != "cpu" or num_workers < 1 or "OMP_NUM_THREADS" in os.environ:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(max(1, min(previous, usable_cpus() - num_workers)))
    try:
        yield
    finally:
        torch.set_num_threads(previous)
