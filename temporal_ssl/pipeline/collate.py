"""Examples to a batch: the one place ``[V, T, C, H, W]`` views become the model's ``[B, V, C, T, H, W]``."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from einops import rearrange

from temporal_ssl.types import Batch, Example


def views_to_model_layout(views: torch.Tensor) -> torch.Tensor:
    """Stacked example views ``[B, V, T, C, H, W]`` as contiguous float32 ``[B, V, C, T, H, W]``.

    uint8 views (no augmentation ran) are scaled to ``[0, 1]``; float views are taken as they are (the
    augmentation already normalised them).
    """
    if views.ndim != 6:
        raise ValueError(f"views must be [B, V, T, C, H, W], got shape {tuple(views.shape)}")
    if views.dtype == torch.uint8:
        views = views.float().div_(255.0)
    else:
        views = views.float()
    return rearrange(views, "b v t c h w -> b v c t h w").contiguous()


def collate_examples(examples: Sequence[Example]) -> Batch:
    """Stack examples into a :class:`Batch`; every example must have the same views, roles and frame size."""
    if not examples:
        raise ValueError("cannot collate an empty list of examples")
    first = examples[0]
    for example in examples[1:]:
        if example.roles != first.roles:
            raise ValueError(
                f"examples of one batch must share their view roles, got {first.roles} (video "
                f"{first.video_index}) and {example.roles} (video {example.video_index})"
            )
        if example.views.shape != first.views.shape:
            raise ValueError(
                f"examples of one batch must share their view shape [V, T, C, H, W], got "
                f"{tuple(first.views.shape)} (video {first.video_index}) and {tuple(example.views.shape)} "
                f"(video {example.video_index}); give the augmentation a fixed crop size or decode at a "
                "fixed (height, width)"
            )
    views = torch.stack([e.views for e in examples])
    return Batch(
        views=views_to_model_layout(views),
        target=torch.stack([e.target.reshape(()) for e in examples]).long(),
        instance_ids=torch.stack([e.instance_ids for e in examples]).long(),
        video_indices=torch.tensor([e.video_index for e in examples], dtype=torch.long),
        roles=tuple(first.roles),
    )
