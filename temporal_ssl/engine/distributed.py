"""Process-group set-up for ``torchrun`` and the few collectives the trainer needs.

One process per device. ``torchrun`` sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
``MASTER_PORT``; without them the run is a single process and nothing here touches ``torch.distributed``.
The backend is NCCL on CUDA and gloo on CPU. Only the main process (rank 0) writes files.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.distributed as dist

from temporal_ssl.errors import ConfigError

logger = logging.getLogger(__name__)

DeviceChoice = Literal["auto", "cpu", "cuda"]


@dataclass(frozen=True)
class DistributedContext:
    """Where this process stands: its rank, the world size and the device it trains on."""

    rank: int
    world_size: int
    local_rank: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """True on rank 0, the only process that writes checkpoints, logs and plots."""
        return self.rank == 0

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1


def resolve_device(choice: DeviceChoice, local_rank: int = 0) -> torch.device:
    """``"auto"`` → the local GPU when one is present, else the CPU; ``"cuda"`` without a GPU is an error."""
    if choice == "cpu" or (choice == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ConfigError(
            "train.device = 'cuda' but torch.cuda.is_available() is False; "
            "set train.device=cpu (or auto) or run on a machine with an NVIDIA GPU"
        )
    if local_rank >= torch.cuda.device_count():
        raise ConfigError(
            f"LOCAL_RANK {local_rank} has no GPU: only {torch.cuda.device_count()} visible; "
            "start at most one process per GPU (torchrun --nproc_per_node)"
        )
    return torch.device("cuda", local_rank)


def init_distributed(device_choice: DeviceChoice = "auto") -> DistributedContext:
    """Join the ``torchrun`` process group if there is one and pick this process's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_choice, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(
            backend=backend,
            rank=rank,
            world_size=world_size,
            device_id=device if device.type == "cuda" else None,
        )
        logger.info("rank %d/%d joined the %s process group on %s", rank, world_size, backend, device)
    return DistributedContext(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def current_context(device: torch.device | str) -> DistributedContext:
    """This process's place in the process group it already joined (a single process if none), on ``device``.

    For code that runs inside a job someone else started (an evaluation under ``torchrun``).
    """
    if not dist.is_initialized():
        return DistributedContext(rank=0, world_size=1, local_rank=0, device=torch.device(device))
    return DistributedContext(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        device=torch.device(device),
    )


def shutdown_distributed() -> None:
    """Leave the process group (a no-op in a single-process run)."""
    if dist.is_initialized():
        dist.destroy_process_group()


def any_rank_flags(flags: list[bool], device: torch.device) -> list[bool]:
    """Element-wise OR of boolean flags over all ranks, so every rank takes the same decision."""
    if not dist.is_initialized():
        return list(flags)
    tensor = torch.tensor([float(f) for f in flags], device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return [bool(v) for v in tensor.tolist()]


def mean_over_ranks(values: dict[str, float], device: torch.device) -> dict[str, float]:
    """Average logged scalars over ranks (same keys on every rank)."""
    if not dist.is_initialized() or not values:
        return dict(values)
    keys = sorted(values)
    tensor = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    tensor /= dist.get_world_size()
    return dict(zip(keys, tensor.tolist(), strict=True))


def gather_to_main(obj: Any) -> list[Any] | None:
    """Every rank's ``obj`` in rank order on rank 0 (``None`` elsewhere); ``[obj]`` without a group."""
    if not dist.is_initialized():
        return [obj]
    gathered: list[Any] | None = [None] * dist.get_world_size() if dist.get_rank() == 0 else None
    dist.gather_object(obj, gathered, dst=0)
    return gathered


def gather_to_all(obj: Any) -> list[Any]:
    """Every rank's ``obj`` in rank order, on every rank; ``[obj]`` without a group."""
    if not dist.is_initialized():
        return [obj]
    gathered: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, obj)
    return gathered


def broadcast_from_main(obj: Any) -> Any:
    """Rank 0's ``obj`` on every rank."""
    if not dist.is_initialized():
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def barrier() -> None:
    """Wait for every rank (a no-op in a single-process run)."""
    if dist.is_initialized():
        dist.barrier()
