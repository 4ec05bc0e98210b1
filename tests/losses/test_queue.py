"""MoCo queue: FIFO order, pointer, overflow, and an exact round trip through state_dict (resume)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
import torch.nn.functional as F

from temporal_ssl.errors import CheckpointError
from temporal_ssl.losses import InfoNCELoss, MemoryQueue
from temporal_ssl.models import ModelOutput
from temporal_ssl.types import Batch


def test_enqueue_overwrites_the_oldest_keys_first() -> None:
    queue = MemoryQueue(5)
    first, second = torch.randn(3, 4), torch.randn(3, 4)
    queue.enqueue(first, torch.tensor([0, 1, 2]))
    assert int(queue.pointer) == 3
    torch.testing.assert_close(queue.keys[:3], F.normalize(first, dim=1))
    queue.enqueue(second, torch.tensor([3, 4, 5]))
    assert int(queue.pointer) == 1  # 6 keys into 5 slots: wrapped once
    assert queue.video_ids.tolist() == [5, 1, 2, 3, 4]  # key 0 (the oldest) was overwritten by key 5
    torch.testing.assert_close(queue.keys[[3, 4, 0]], F.normalize(second, dim=1))
    torch.testing.assert_close(queue.keys[1:3], F.normalize(first[1:], dim=1))


def test_more_keys_than_slots_keeps_the_newest() -> None:
    queue = MemoryQueue(3)
    keys = torch.randn(7, 2)
    queue.enqueue(keys, torch.arange(7))
    assert sorted(queue.video_ids.tolist()) == [4, 5, 6]


def test_initial_fill_is_unit_norm_noise_without_videos() -> None:
    queue = MemoryQueue(16)
    assert not queue.is_allocated
    queue.allocate(8, "cpu")
    assert queue.keys.shape == (16, 8)
    torch.testing.assert_close(queue.keys.norm(dim=1), torch.ones(16))
    assert (queue.video_ids == -1).all()


def test_state_dict_round_trip_restores_an_unallocated_queue() -> None:
    queue = MemoryQueue(6)
    queue.enqueue(torch.randn(4, 3), torch.arange(4))
    restored = MemoryQueue(6)
    restored.load_state_dict(queue.state_dict())
    assert torch.equal(restored.keys, queue.keys) and torch.equal(restored.video_ids, queue.video_ids)
    assert int(restored.pointer) == 4
    more = torch.randn(4, 3)
    queue.enqueue(more, torch.arange(4))
    restored.enqueue(more, torch.arange(4))
    assert torch.equal(restored.keys, queue.keys) and int(restored.pointer) == int(queue.pointer) == 2


def test_loading_a_queue_of_another_size_is_refused() -> None:
    queue = MemoryQueue(6)
    queue.enqueue(torch.randn(2, 3), torch.arange(2))
    with pytest.raises(CheckpointError, match="holds 6 keys but this loss was built with queue_size=4"):
        MemoryQueue(4).load_state_dict(queue.state_dict())


def test_a_resumed_loss_continues_exactly(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(0)
    batch = make_batch([[0, 0]] * 3)
    outputs = [ModelOutput(features=e, embeddings=e, keys=k) for e, k in
               ((torch.randn(3, 2, 4), torch.randn(3, 2, 4)) for _ in range(3))]
    straight = InfoNCELoss(queue_size=8)
    losses = [float(straight(out, batch, step).loss) for step, out in enumerate(outputs)]
    interrupted = InfoNCELoss(queue_size=8)
    interrupted(outputs[0], batch, 0)
    interrupted(outputs[1], batch, 1)
    resumed = InfoNCELoss(queue_size=8)
    resumed.load_state_dict(interrupted.state_dict())
    assert float(resumed(outputs[2], batch, 2).loss) == losses[2]
