"""Shuffled BatchNorm on two gloo ranks: every key comes back to its clip, normalised with its shuffled rank's
statistics; the shuffle switches itself off where it is not needed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from temporal_ssl.losses.gather import shuffle_across_ranks, unshuffle_across_ranks
from temporal_ssl.models import PretextModel
from temporal_ssl.models.heads import IdentityHead, byol_predictor
from tests.losses.ranks import WORLD, run_on_two_ranks

PER_RANK, VIEWS, CLIP = 4, 2, (1, 2, 2, 2)  # samples per rank, clips per sample, clip shape [C, T, H, W]
CLIP_SIZE = 8
EPS = 1e-5


class _FlatBatchNorm(nn.Module):
    """An encoder whose features are the batch-normalised pixels: its output shows the batch it was given."""

    num_features = CLIP_SIZE

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(CLIP_SIZE, affine=False, eps=EPS)

    def forward(self, clips: torch.Tensor) -> torch.Tensor:
        return self.norm(clips.flatten(1))


def _global_views() -> torch.Tensor:
    return torch.randn(WORLD * PER_RANK, VIEWS, *CLIP, generator=torch.Generator().manual_seed(3))


def _moco_model() -> PretextModel:
    return PretextModel(_FlatBatchNorm(), IdentityHead(in_features=CLIP_SIZE), momentum=0.99)


def _worker(rank: int, out_dir: str) -> None:
    torch.manual_seed(0)  # rank 0's generator draws the permutation
    own = torch.arange(rank * 6, (rank + 1) * 6, dtype=torch.float32)[:, None]  # rows named by global index
    rows, order = shuffle_across_ranks(own)
    restored = unshuffle_across_ranks(rows * 10.0, order)  # any row-wise function of the shuffled rows

    model = _moco_model().train()
    seen: list[torch.Tensor] = []
    assert model.momentum_encoder is not None
    model.momentum_encoder.register_forward_hook(lambda module, args, out: seen.append(args[0].clone()))
    views = _global_views()[rank * PER_RANK:(rank + 1) * PER_RANK]
    output = model(views)
    switches = {"train": model.shuffles_key_batch}
    model.eval()
    switches["eval"] = model.shuffles_key_batch
    byol = PretextModel(_FlatBatchNorm(), IdentityHead(in_features=CLIP_SIZE), momentum=0.99,
                        predictor=byol_predictor(in_features=CLIP_SIZE, hidden_dim=4))
    switches["byol"] = byol.shuffles_key_batch
    switches["sync_bn"] = nn.SyncBatchNorm.convert_sync_batchnorm(_moco_model()).shuffles_key_batch
    switches["turned_off"] = PretextModel(_FlatBatchNorm(), IdentityHead(in_features=CLIP_SIZE),
                                          momentum=0.99, shuffle_bn=False).shuffles_key_batch
    torch.save({"rows": rows, "order": order, "restored": restored, "seen": seen[0], "keys": output.keys,
                "embeddings": output.embeddings, "switches": switches}, Path(out_dir) / f"rank{rank}.pt")


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out_dir = tmp_path_factory.mktemp("shuffle_bn")
    run_on_two_ranks(_worker, out_dir, str(out_dir))
    return [torch.load(out_dir / f"rank{r}.pt") for r in range(WORLD)]


def test_shuffle_deals_every_row_once_and_unshuffle_returns_it_to_its_place(
        ranks: list[dict[str, Any]]) -> None:
    order = ranks[0]["order"]
    assert torch.equal(order, ranks[1]["order"])  # one permutation, broadcast from rank 0
    assert sorted(order.tolist()) == list(range(12))
    dealt = torch.cat([r["rows"][:, 0] for r in ranks])
    assert dealt.tolist() == order.float().tolist()  # rank r holds order[6r:6r+6]: each row exactly once
    assert set(ranks[0]["rows"][:, 0].tolist()) != set(range(6))  # rows did change rank
    for rank, result in enumerate(ranks):
        expected = 10.0 * torch.arange(rank * 6, (rank + 1) * 6, dtype=torch.float32)[:, None]
        assert torch.equal(result["restored"], expected)


def test_keys_use_the_statistics_of_the_shuffled_subset_and_return_to_their_clip(
        ranks: list[dict[str, Any]]) -> None:
    clips = _global_views().flatten(2)  # [samples, views, pixels]
    flat = clips.flatten(0, 1)  # global clips in (rank, sample, view) order
    expected = torch.empty_like(flat)
    for result in ranks:
        seen = result["seen"].flatten(1)  # the clips this rank's momentum encoder normalised together
        assert seen.shape == (PER_RANK * VIEWS, CLIP_SIZE)
        where = [int(torch.nonzero((flat == row).all(dim=1))[0]) for row in seen]
        mean, var = seen.mean(dim=0), seen.var(dim=0, unbiased=False)
        expected[where] = (seen - mean) / torch.sqrt(var + EPS)
    own_clips = set(range(PER_RANK * VIEWS))
    seen_by_rank0 = {int(torch.nonzero((flat == row).all(dim=1))[0]) for row in ranks[0]["seen"].flatten(1)}
    assert seen_by_rank0 != own_clips  # the key encoder of rank 0 did not see rank 0's own clips
    keys = torch.cat([r["keys"] for r in ranks]).flatten(0, 1)
    torch.testing.assert_close(keys, expected, rtol=1e-5, atol=1e-5)
    for rank, result in enumerate(ranks):  # the online branch normalised the rank's own clips, unshuffled
        own = clips[rank * PER_RANK:(rank + 1) * PER_RANK].flatten(0, 1)
        local = (own - own.mean(dim=0)) / torch.sqrt(own.var(dim=0, unbiased=False) + EPS)
        torch.testing.assert_close(result["embeddings"].flatten(0, 1), local, rtol=1e-5, atol=1e-5)


def test_shuffle_only_where_batch_statistics_could_leak(ranks: list[dict[str, Any]]) -> None:
    assert ranks[0]["switches"] == {"train": True, "eval": False, "byol": False, "sync_bn": False,
                                    "turned_off": False}


def test_one_process_never_shuffles() -> None:
    model = _moco_model().train()
    assert not model.shuffles_key_batch
    rows = torch.arange(5.0)[:, None]
    shuffled, order = shuffle_across_ranks(rows)
    assert torch.equal(shuffled, rows) and torch.equal(unshuffle_across_ranks(shuffled, order), rows)
