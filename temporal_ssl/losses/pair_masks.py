"""Which views of a batch are positives of each other, as flat ``[(B·V)]`` id vectors and pair masks.

Views are flattened in ``(b v)`` order everywhere, the order ``einops.rearrange(x, "b v e -> (b v) e")``
gives. Two views are positives iff their global instance ids (``Batch.global_instance_ids``) are equal.
"""

from __future__ import annotations

import torch
from einops import rearrange, repeat

from temporal_ssl.types import Batch


def flat_instance_ids(batch: Batch) -> torch.Tensor:
    """int64 ``[(B·V)]`` global instance ids in ``(b v)`` order."""
    return rearrange(batch.global_instance_ids(), "b v -> (b v)")


def flat_video_ids(batch: Batch) -> torch.Tensor:
    """int64 ``[(B·V)]``: the source video of every view, in ``(b v)`` order."""
    return repeat(batch.video_indices, "b -> (b v)", v=batch.views.shape[1])


def same_id_mask(row_ids: torch.Tensor, column_ids: torch.Tensor) -> torch.Tensor:
    """bool ``[N, M]``: ``row_ids[i] == column_ids[j]``."""
    return row_ids[:, None] == column_ids[None, :]


def flatten_views(x: torch.Tensor) -> torch.Tensor:
    """``[B, V, E] → [(B·V), E]``."""
    return rearrange(x, "b v e -> (b v) e")
