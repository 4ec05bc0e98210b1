"""Run a function on two CPU processes joined in a gloo process group, as ``torchrun`` would on two devices.

Processes are forked where the platform allows it: a forked child starts in milliseconds, while a spawned one
re-imports torch (tens of seconds on a loaded machine). Each child uses one torch thread.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD = 2
TIMEOUT_S = 120.0


def _join_group(rank: int, fn: Callable[..., None], store: str, args: tuple[Any, ...]) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=WORLD)
    try:
        fn(rank, *args)
    finally:
        dist.destroy_process_group()


def run_on_two_ranks(fn: Callable[..., None], tmp_path: Path, *args: Any) -> None:
    """Call ``fn(rank, *args)`` on ranks 0 and 1 of a gloo group; fails if a rank raises or hangs."""
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = mp.start_processes(_join_group, args=(fn, str(tmp_path / "gloo_store"), args), nprocs=WORLD,
                                 join=False, start_method=method)
    deadline = time.monotonic() + TIMEOUT_S
    while not context.join(timeout=max(deadline - time.monotonic(), 0.1)):  # raises if a rank raised
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            raise TimeoutError(f"the two ranks did not finish within {TIMEOUT_S} s")
