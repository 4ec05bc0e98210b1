"""A MoCo memory queue: a FIFO of the ``K`` most recent keys, used as extra negatives (He et al., CVPR 2020).

Each training step enqueues the current batch's keys (all views: ρMoCo's multi-view queue) over the oldest
ones. Keys, their source-video ids and the write pointer are buffers, so the queue is part of ``state_dict``
and a resumed run continues with exactly the same negatives. Under ``torch.distributed`` the keys of all ranks
are gathered before enqueueing, so every rank holds the same queue (the initial random fill is broadcast from
rank 0). The key width is fixed by the first enqueue (or by loading a state dict), so the owner need not know
it up front.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from temporal_ssl.errors import CheckpointError
from temporal_ssl.losses.gather import all_gather_rows, is_distributed


class MemoryQueue(nn.Module):
    """FIFO of ``size`` L2-normalised keys with their video ids (``-1`` = no video, for the initial fill).

    Args:
        size: ``K``, the number of keys kept (MoCo 65 536, CoCLR 2048 on UCF101).
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        if size < 1:
            raise ValueError(f"queue size must be >= 1, got {size}")
        self.size = size
        self.register_buffer("keys", torch.empty(0, 0))
        self.register_buffer("video_ids", torch.empty(0, dtype=torch.long))
        self.register_buffer("pointer", torch.zeros((), dtype=torch.long))

    keys: torch.Tensor
    video_ids: torch.Tensor
    pointer: torch.Tensor

    @property
    def is_allocated(self) -> bool:
        """Whether the key width is known (first enqueue or state-dict load done)."""
        return self.keys.numel() > 0

    @torch.no_grad()
    def allocate(self, dim: int, device: torch.device | str) -> None:
        """Fill the queue with random unit vectors of width ``dim`` (MoCo's initial state)."""
        keys = F.normalize(torch.randn(self.size, dim, device=device), dim=1)
        if is_distributed():
            dist.broadcast(keys, src=0)
        self.keys = keys
        self.video_ids = torch.full((self.size,), -1, dtype=torch.long, device=device)
        self.pointer = torch.zeros((), dtype=torch.long, device=device)

    @torch.no_grad()
    def enqueue(self, keys: torch.Tensor, video_ids: torch.Tensor) -> None:
        """Overwrite the oldest entries with ``keys`` (gathered over ranks first), then advance the pointer.

        Args:
            keys: float ``[n, E]``; stored L2-normalised, as float32.
            video_ids: int64 ``[n]``, the source video of each key.
        """
        keys = all_gather_rows(F.normalize(keys.detach().float(), dim=1))
        video_ids = all_gather_rows(video_ids.detach().long())
        if not self.is_allocated:
            self.allocate(keys.shape[1], keys.device)
        if keys.shape[1] != self.keys.shape[1]:
            raise ValueError(f"queue holds keys of width {self.keys.shape[1]}, got width {keys.shape[1]}")
        if keys.shape[0] > self.size:  # more keys than slots: only the newest fit
            keys, video_ids = keys[-self.size:], video_ids[-self.size:]
        count = keys.shape[0]
        slots = (self.pointer + torch.arange(count, device=keys.device)) % self.size
        self.keys[slots] = keys
        self.video_ids[slots] = video_ids
        self.pointer.copy_((self.pointer + count) % self.size)

    def _load_from_state_dict(self, state_dict: Mapping[str, Any], prefix: str, *args: Any,
                              **kwargs: Any) -> None:
        saved_keys = state_dict.get(prefix + "keys")
        if saved_keys is not None and saved_keys.numel() and saved_keys.shape[0] != self.size:
            raise CheckpointError(
                f"checkpoint queue '{prefix}keys' holds {saved_keys.shape[0]} keys but this loss was built "
                f"with queue_size={self.size}; build the loss with the checkpoint's queue_size to resume"
            )
        # Before the first enqueue the buffers are empty placeholders; take the saved shapes.
        for name in ("keys", "video_ids"):
            saved = state_dict.get(prefix + name)
            current = getattr(self, name)
            if saved is not None and saved.shape != current.shape:
                setattr(self, name, torch.empty_like(saved, device=current.device))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
