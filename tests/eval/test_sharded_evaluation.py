"""Evaluation under torchrun: two gloo CPU ranks share the work and get the single process's results.

Feature extraction: each rank extracts half the videos, and after the gather both hold the single process's
features (in the records' order, the broken video left out and named) and get its linear-probe and k-NN
metrics. Fine-tuning: each rank trains on half of every global batch with DDP (a BN-free encoder, so the two
ranks together compute the single process's gradient) and tests on half the videos.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, list_checkpoints, load_checkpoint
from temporal_ssl.types import VideoRecord
from tests.eval.sharded_eval_worker import evaluate, finetune, rank_job
from tests.losses.ranks import run_on_two_ranks


@pytest.fixture(scope="module")
def two_ranks(
    records_with_a_broken_video: tuple[list[VideoRecord], str],
    labeled_records: list[VideoRecord],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[dict[str, Any]], Path]:
    """Both ranks' results of one run of :func:`rank_job` on two gloo ranks, and its output folder."""
    out = tmp_path_factory.mktemp("two_ranks")
    records = {"eval": records_with_a_broken_video[0], "finetune": labeled_records}
    run_on_two_ranks(rank_job, out, records, out)
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in (0, 1)], out


def test_two_ranks_extract_their_shares_and_get_the_single_process_metrics(
    two_ranks: tuple[list[dict[str, Any]], Path],
    records_with_a_broken_video: tuple[list[VideoRecord], str],
    tmp_path: Path,
) -> None:
    ranks, out = two_ranks
    records, broken = records_with_a_broken_video
    single = evaluate(records, tmp_path / "cache")

    assert single["paths"] == tuple(r.path for r in records if r.path != broken)
    assert single["failed_paths"] == (broken,)
    views = 2 * 3  # clips x crops
    assert single["clips_seen"] == 5 * views
    # each rank decoded only its share (rank 0: videos 0, 2 (broken), 4; rank 1: videos 1, 3, 5)
    assert [rank["clips_seen"] for rank in ranks] == [2 * views, 3 * views]
    for rank in ranks:
        assert rank["paths"] == single["paths"] and rank["failed_paths"] == single["failed_paths"]
        assert torch.equal(rank["labels"], single["labels"])
        for key in ("computed", "cached", "probe_logits", "knn_votes"):
            assert torch.equal(rank[key], single[key]), key
        assert rank["probe_metrics"] == single["probe_metrics"]
        assert rank["knn_metrics"] == single["knn_metrics"]
    # rank 0 alone wrote the cache, once
    assert len(list((out / "cache").glob("*.pt"))) == 1


def test_a_ddp_fine_tune_equals_one_process_on_the_same_global_batch(
    two_ranks: tuple[list[dict[str, Any]], Path], labeled_records: list[VideoRecord], tmp_path: Path
) -> None:
    ranks, out = two_ranks
    single = finetune(labeled_records, tmp_path / "single", batch_size=2)
    first, second = (rank["finetune"] for rank in ranks)
    for key, value in first["weights"].items():
        assert torch.equal(second["weights"][key], value), key  # DDP keeps the ranks identical
        torch.testing.assert_close(value, single["weights"][key], rtol=1e-5, atol=1e-6)
    assert torch.equal(first["logits"], second["logits"])
    torch.testing.assert_close(first["logits"], single["logits"], rtol=1e-4, atol=1e-5)
    assert first["metrics"] == second["metrics"] == single["metrics"]
    # rank 0 wrote the checkpoints, as a pretraining run does
    assert first["checkpoint"] == out / "finetune" / CHECKPOINT_DIRNAME / "step_00000003.pt"
    assert [step for step, _ in list_checkpoints(out / "finetune" / CHECKPOINT_DIRNAME)] == [3]
    assert load_checkpoint(first["checkpoint"])["world_size"] == 2
