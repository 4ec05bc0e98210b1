"""Two gloo ranks against one process on the same global batch: losses, gradients after DDP, the shared queue.

Each scenario feeds fixed features through a linear projection wrapped in DistributedDataParallel (so DDP's
gradient averaging really runs), computes a loss on the rank's half of the batch and backpropagates. One
process computing the same loss on the whole batch must give the same loss (mean over ranks), the same
parameter gradients (on every rank) and the same input gradients (a rank's input gradient, summed over the
ranks' losses by the gather's backward, divided by the number of ranks).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from temporal_ssl.losses import BYOLLoss, InfoNCELoss, MemoryQueue
from temporal_ssl.losses.gather import all_gather_rows
from temporal_ssl.models import ModelOutput
from temporal_ssl.pretext.multiview.temporal_views import CVRL, RhoClips
from temporal_ssl.types import Batch, LossOutput
from tests.losses.ranks import WORLD, run_on_two_ranks

PER_RANK, FEATURES, EMBEDDING, QUEUE = 3, 5, 4, 32
TIGHT = {"rtol": 1e-5, "atol": 1e-7}


def _batch(instance_ids: torch.Tensor, video_indices: torch.Tensor) -> Batch:
    size, num_views = instance_ids.shape
    return Batch(views=torch.zeros(size, num_views, 1, 1, 1, 1), target=torch.full((size,), -1),
                 instance_ids=instance_ids, video_indices=video_indices, roles=("clip",) * num_views)


def _moco_options() -> dict[str, Any]:
    """ρMoCo: the ρ-clips InfoNCE with queue-only negatives (as configs/pretrain/rho_clips.yaml documents)."""
    return {**RhoClips().loss.options, "queue_size": QUEUE, "in_batch_negatives": False}


# name -> (views per sample, instance ids of the global batch, loss factory, loss reads keys, output field)
SCENARIOS: dict[str, tuple[int, list[list[int]], Callable[[], nn.Module], bool, str]] = {
    "cvrl": (2, [[0, 0]] * 6, lambda: InfoNCELoss(**CVRL().loss.options), False, "embeddings"),
    "rho_simclr_4": (4, [[0, 0, 0, 0]] * 6, lambda: InfoNCELoss(**RhoClips().loss.options), False,
                     "embeddings"),
    # rank 1 holds a sample whose views are all different instances: fewer positive pairs than rank 0
    "uneven_pairs": (2, [[0, 0]] * 3 + [[0, 0], [0, 1], [0, 0]],
                     lambda: InfoNCELoss(temperature=0.3, gather_across_ranks=True, exclude_same_video=True),
                     False, "embeddings"),
    "rho_moco_4": (4, [[0, 0, 0, 0]] * 6, lambda: InfoNCELoss(**_moco_options()), True, "embeddings"),
    "rho_byol_2": (2, [[0, 0]] * 6, BYOLLoss, True, "predictions"),
}


def _inputs(name: str) -> dict[str, torch.Tensor]:
    """The global batch of a scenario: features, momentum keys, ids, videos (two samples share video 0)."""
    num_views, ids, _, _, _ = SCENARIOS[name]
    generator = torch.Generator().manual_seed(sum(map(ord, name)))
    size = WORLD * PER_RANK
    return {"features": torch.randn(size, num_views, FEATURES, generator=generator),
            "keys": torch.randn(size, num_views, EMBEDDING, generator=generator),
            "ids": torch.tensor(ids), "videos": torch.tensor([0, 0, 1, 2, 3, 4])}


def _projection() -> nn.Linear:
    torch.manual_seed(7)
    return nn.Linear(FEATURES, EMBEDDING)


def _loss_on(projection: nn.Module, loss_fn: nn.Module, name: str,
             rows: slice) -> tuple[LossOutput, torch.Tensor]:
    """Forward ``rows`` of the scenario's global batch through ``projection`` and the loss."""
    _, _, _, with_keys, field = SCENARIOS[name]
    data = _inputs(name)
    features = data["features"][rows].clone().requires_grad_(True)
    projected = projection(features)
    output = ModelOutput(features=features, **{field: projected})
    if field == "predictions":
        output.embeddings = projected
    if with_keys:
        output.keys = data["keys"][rows]
    return loss_fn(output, _batch(data["ids"][rows], data["videos"][rows]), 0), features


def _worker(rank: int, out_dir: str) -> None:
    torch.manual_seed(100 + rank)  # ranks seeded differently, as a trainer does
    results: dict[str, Any] = {
        "rows": all_gather_rows(torch.full((rank + 1, 2), float(rank))),  # 1 row on rank 0, 2 on rank 1
    }
    queue = MemoryQueue(8)
    queue.allocate(3, "cpu")  # the random fill must be identical on both ranks
    queue.enqueue(torch.full((2, 3), float(rank + 1)), torch.tensor([rank, rank]))
    results["queue"] = queue.state_dict()
    rows = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
    for name, (_, _, make_loss, _, _) in SCENARIOS.items():
        projection = DistributedDataParallel(_projection())
        loss_fn = make_loss()
        if isinstance(loss_fn, InfoNCELoss) and loss_fn.queue is not None:
            loss_fn.queue.allocate(EMBEDDING, "cpu")
            results[f"{name}/queue_before"] = {k: v.clone() for k, v in loss_fn.queue.state_dict().items()}
        out, features = _loss_on(projection, loss_fn, name, rows)
        out.loss.backward()
        results[name] = {"loss": out.loss.detach(), "input_grad": features.grad,
                         "grads": [p.grad for p in projection.module.parameters()],
                         "loss_state": loss_fn.state_dict()}
    torch.save(results, Path(out_dir) / f"rank{rank}.pt")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """What each of the two ranks computed in every scenario."""
    out_dir = tmp_path_factory.mktemp("two_ranks")
    run_on_two_ranks(_worker, out_dir, str(out_dir))
    return [torch.load(out_dir / f"rank{r}.pt") for r in range(WORLD)]


def _single_process(name: str,
                    ranks: list[dict[str, Any]]) -> tuple[LossOutput, torch.Tensor, nn.Module, nn.Module]:
    projection, loss_fn = _projection(), SCENARIOS[name][2]()
    if f"{name}/queue_before" in ranks[0]:
        loss_fn.queue.load_state_dict(ranks[0][f"{name}/queue_before"])
    out, features = _loss_on(projection, loss_fn, name, slice(None))
    out.loss.backward()
    return out, features, projection, loss_fn


def test_two_ranks_share_one_queue(ranks: list[dict[str, Any]]) -> None:
    for result in ranks:
        assert result["rows"].tolist() == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]]
    first, second = (r["queue"] for r in ranks)
    assert torch.equal(first["keys"], second["keys"]) and int(first["pointer"]) == 4
    assert first["video_ids"][:4].tolist() == [0, 0, 1, 1]  # rank 0's keys, then rank 1's


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_loss_and_every_gradient_equal_one_process_on_the_global_batch(
        ranks: list[dict[str, Any]], name: str) -> None:
    out, features, projection, _ = _single_process(name, ranks)
    assert features.grad is not None
    mean_loss = sum(r[name]["loss"] for r in ranks) / WORLD
    torch.testing.assert_close(mean_loss, out.loss.detach(), **TIGHT)
    for result in ranks:  # DDP left the same averaged gradient on every rank
        for got, expected in zip(result[name]["grads"], projection.parameters(), strict=True):
            torch.testing.assert_close(got, expected.grad, **TIGHT)
    gathered = torch.cat([r[name]["input_grad"] for r in ranks]) / WORLD
    torch.testing.assert_close(gathered, features.grad, **TIGHT)


def test_uneven_pair_counts_are_weighted_to_the_global_mean(ranks: list[dict[str, Any]]) -> None:
    """Rank 0 holds 6 ordered positive pairs, rank 1 only 4: each rank's loss is its mean weighted by its
    share of the 10 pairs (1.2 and 0.8), without which the mean over ranks would miss the global mean."""
    out, _, _, _ = _single_process("uneven_pairs", ranks)
    weighted = [float(r["uneven_pairs"]["loss"]) for r in ranks]
    own_means = [weighted[0] / 1.2, weighted[1] / 0.8]
    assert sum(weighted) / WORLD == pytest.approx(float(out.loss.detach()), rel=1e-6)
    assert sum(own_means) / WORLD != pytest.approx(float(out.loss.detach()), rel=1e-3)


def test_moco_negatives_are_the_queue_alone_and_the_queue_takes_every_ranks_keys(
        ranks: list[dict[str, Any]]) -> None:
    out, _, _, loss_fn = _single_process("rho_moco_4", ranks)
    # 4 clips per video: each query has 3 positive keys (the other clips), negatives = the queue only
    assert out.metrics["positives_per_query"] == 3 and out.metrics["negatives_per_query"] == QUEUE
    for result in ranks:
        for key, expected in loss_fn.state_dict().items():
            torch.testing.assert_close(result["rho_moco_4"]["loss_state"][key], expected, rtol=0, atol=0)
