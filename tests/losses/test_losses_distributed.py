"""Two gloo processes: the MoCo queue gathers both ranks' keys; global-batch InfoNCE equals one process."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from temporal_ssl.losses import InfoNCELoss, MemoryQueue
from temporal_ssl.losses.gather import all_gather_rows
from temporal_ssl.models import ModelOutput
from temporal_ssl.types import Batch

WORLD = 2


def _global_inputs() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    embeddings = torch.randn(4, 2, 6, generator=generator)
    instance_ids = torch.tensor([[0, 0], [0, 1], [0, 0], [0, 1]])  # 2 positive pairs per rank
    video_indices = torch.tensor([3, 3, 4, 5])  # samples 0 and 1 (on rank 0) share a video
    return embeddings, instance_ids, video_indices


def _batch(instance_ids: torch.Tensor, video_indices: torch.Tensor) -> Batch:
    size, num_views = instance_ids.shape
    return Batch(views=torch.zeros(size, num_views, 1, 1, 1, 1), target=torch.full((size,), -1),
                 instance_ids=instance_ids, video_indices=video_indices, roles=("clip",) * num_views)


def _worker(rank: int, store: str, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=WORLD)
    try:
        torch.manual_seed(100 + rank)  # ranks seeded differently, as a trainer may do
        rows = all_gather_rows(torch.full((rank + 1, 2), float(rank)))  # uneven: 1 row on rank 0, 2 on rank 1
        queue = MemoryQueue(8)
        queue.allocate(3, "cpu")  # the random fill must be identical on both ranks
        queue.enqueue(torch.full((2, 3), float(rank + 1)), torch.tensor([rank, rank]))

        embeddings, instance_ids, video_indices = _global_inputs()
        local = slice(2 * rank, 2 * rank + 2)
        mine = embeddings[local].clone().requires_grad_(True)
        loss_fn = InfoNCELoss(temperature=0.3, gather_across_ranks=True, exclude_same_video=True)
        loss = loss_fn(ModelOutput(features=mine, embeddings=mine), _batch(instance_ids[local],
                                                                        video_indices[local]), 0).loss
        loss.backward()
        torch.save({"rows": rows, "queue": queue.state_dict(), "loss": loss.detach(), "grad": mine.grad},
                   Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


def test_two_ranks_share_one_queue_and_one_global_batch(tmp_path: Path) -> None:
    mp.spawn(_worker, args=(str(tmp_path / "store"), str(tmp_path)), nprocs=WORLD, join=True)
    results = [torch.load(tmp_path / f"rank{r}.pt") for r in range(WORLD)]

    for result in results:
        assert result["rows"].tolist() == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]
    first, second = (r["queue"] for r in results)
    assert torch.equal(first["keys"], second["keys"]) and int(first["pointer"]) == 4
    assert first["video_ids"][:4].tolist() == [0, 0, 1, 1]  # rank 0's keys, then rank 1's

    # One process on the whole batch: the same loss (mean over ranks, equal pair counts) and, after DDP's
    # averaging over ranks, the same gradient.
    embeddings, instance_ids, video_indices = _global_inputs()
    embeddings.requires_grad_(True)
    loss_fn = InfoNCELoss(temperature=0.3, exclude_same_video=True)
    output = ModelOutput(features=embeddings, embeddings=embeddings)
    loss = loss_fn(output, _batch(instance_ids, video_indices), 0)
    loss.loss.backward()
    mean_loss = sum(float(r["loss"]) for r in results) / WORLD
    assert abs(mean_loss - float(loss.loss.detach())) < 1e-5
    gathered_grad = torch.cat([r["grad"] for r in results]) / WORLD
    torch.testing.assert_close(gathered_grad, embeddings.grad, rtol=1e-4, atol=1e-6)
