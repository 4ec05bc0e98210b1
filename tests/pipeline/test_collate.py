"""collate_examples: the one layout change from [V, T, C, H, W] examples to [B, V, C, T, H, W] batches."""

from __future__ import annotations

import pytest
import torch

from temporal_ssl.pipeline.collate import collate_examples
from temporal_ssl.types import Example


def _example(views: torch.Tensor, video_index: int, target: int = 1,
             roles: tuple[str, ...] = ("a", "b")) -> Example:
    return Example(views=views, target=torch.tensor(target), instance_ids=torch.tensor([0, 1]),
                   roles=roles, video_index=video_index)


def test_collate_puts_channels_before_time_and_keeps_every_value() -> None:
    generator = torch.Generator().manual_seed(0)
    views = [torch.randn(2, 3, 4, 5, 6, generator=generator) for _ in range(3)]  # [V, T, C, H, W]
    batch = collate_examples([_example(v, i, target=i) for i, v in enumerate(views)])
    assert batch.views.shape == (3, 2, 4, 3, 5, 6)
    assert batch.views.dtype == torch.float32 and batch.views.is_contiguous()
    for b, v in enumerate(views):
        for t in range(3):
            assert torch.equal(batch.views[b, :, :, t], v[:, t])
    assert batch.target.tolist() == [0, 1, 2] and batch.target.dtype == torch.int64
    assert batch.video_indices.tolist() == [0, 1, 2] and batch.video_indices.dtype == torch.int64
    assert batch.instance_ids.shape == (3, 2) and batch.instance_ids.dtype == torch.int64
    assert batch.roles == ("a", "b")


def test_collate_scales_uint8_views_to_unit_range() -> None:
    views = torch.tensor([0, 51, 255], dtype=torch.uint8).reshape(1, 1, 3, 1, 1).expand(2, 2, 3, 1, 1)
    batch = collate_examples([_example(views.contiguous(), 0)])
    assert torch.allclose(batch.views[0, 0, :, 0, 0, 0], torch.tensor([0.0, 0.2, 1.0]))


def test_collate_rejects_mixed_roles_and_sizes_naming_the_videos() -> None:
    a = _example(torch.zeros(2, 1, 3, 4, 4), 7)
    with pytest.raises(ValueError, match=r"video 7\).*video 8\)"):
        collate_examples([a, _example(torch.zeros(2, 1, 3, 4, 5), 8)])
    with pytest.raises(ValueError, match="share their view roles"):
        collate_examples([a, _example(torch.zeros(2, 1, 3, 4, 4), 8, roles=("a", "c"))])
