"""Batches with chosen instance structure and free embeddings, for loss tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
import torch

from temporal_ssl.types import Batch


def batch_with(instance_ids: Sequence[Sequence[int]], video_indices: Sequence[int] | None = None) -> Batch:
    """A batch whose views are placeholders: losses only read ids (and embeddings come from the test)."""
    ids = torch.tensor(instance_ids, dtype=torch.long)
    size, num_views = ids.shape
    videos = torch.arange(size) if video_indices is None else torch.tensor(video_indices, dtype=torch.long)
    return Batch(views=torch.zeros(size, num_views, 1, 1, 1, 1), target=torch.full((size,), -1),
                 instance_ids=ids, video_indices=videos, roles=("clip",) * num_views)


@pytest.fixture
def make_batch() -> Callable[..., Batch]:
    return batch_with
