"""Evaluation under torchrun: two gloo CPU processes extract half the videos each, and after the gather both
hold the single process's features (in the records' order, the broken video left out and named) and get its
linear-probe and k-NN metrics."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import torch

from temporal_ssl.types import VideoRecord
from tests.eval.sharded_eval_worker import evaluate

WORKER = Path(__file__).with_name("sharded_eval_worker.py")


def test_two_ranks_extract_their_shares_and_get_the_single_process_metrics(
    records_with_a_broken_video: tuple[list[VideoRecord], str], tmp_path: Path
) -> None:
    records, broken = records_with_a_broken_video
    (tmp_path / "records.pkl").write_bytes(pickle.dumps(records))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(WORKER),
            "--records",
            str(tmp_path / "records.pkl"),
            "--out",
            str(tmp_path / "ddp"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ranks = [torch.load(tmp_path / "ddp" / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
    single = evaluate(records, tmp_path / "single_cache")

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
    assert len(list((tmp_path / "ddp" / "cache").glob("*.pt"))) == 1
