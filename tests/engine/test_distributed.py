"""Two CPU processes under torchrun (gloo): same weights on both ranks, disjoint data, equal to one process.

The comparison with one process holds because the toy model has no BatchNorm (per-rank batch statistics would
differ from whole-batch ones) and no dropout, and because the loader's sharding gives rank ``r`` the global
positions ``r, r + 2, ...``: the two ranks' batches of 4 at a step together are exactly the single process's
batch of 8 at that step. DDP averages the two gradients, which equals the gradient of the mean over 8.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, list_checkpoints, load_checkpoint

WORKER = Path(__file__).with_name("train_worker.py")
STEPS = 3


def _run(args: list[str]) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(args, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_two_process_ddp_matches_one_process_on_the_same_global_batch(tmp_path: Path) -> None:
    _run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc_per_node",
            "2",
            str(WORKER),
            "--out",
            str(tmp_path / "ddp"),
            "--max-steps",
            str(STEPS),
            "--batch-size",
            "4",
            "--checkpoint-every",
            "2",
            "--per-rank-dirs",
        ]
    )
    _run(
        [
            sys.executable,
            str(WORKER),
            "--out",
            str(tmp_path / "single"),
            "--max-steps",
            str(STEPS),
            "--batch-size",
            "8",
        ]
    )
    rank0, rank1 = (torch.load(tmp_path / "ddp" / f"result_rank{r}.pt") for r in (0, 1))
    single = torch.load(tmp_path / "single" / "result_rank0.pt")

    # identical weights on both ranks
    for key, value in rank0["state"].items():
        assert torch.equal(rank1["state"][key], value), key
    # disjoint data: within the first epoch (3 steps x 8 of 48 videos) no video is seen twice by anyone
    assert len(rank0["seen"]) == len(rank1["seen"]) == STEPS
    everything = [v for batch in rank0["seen"] + rank1["seen"] for v in batch]
    assert len(everything) == 2 * STEPS * 4 and len(set(everything)) == len(everything)
    # and at every step the two ranks' batches together are the single process's batch of 8
    for step, (mine, theirs, whole) in enumerate(
        zip(rank0["seen"], rank1["seen"], single["seen"], strict=False)
    ):
        assert sorted(mine + theirs) == sorted(whole), step
    # same result as one process on the same global batch (up to float summation order)
    for key, value in single["state"].items():
        torch.testing.assert_close(rank0["state"][key], value, rtol=1e-5, atol=1e-6)
    # only rank 0 wrote: checkpoints and metrics in its folder, nothing from rank 1
    assert [s for s, _ in list_checkpoints(tmp_path / "ddp" / "rank0" / CHECKPOINT_DIRNAME)] == [2, 3]
    assert (tmp_path / "ddp" / "rank0" / "metrics.jsonl").is_file()
    assert not (tmp_path / "ddp" / "rank1").exists()
    # the checkpoint carries both ranks' loader positions and RNG states for an exact 2-process resume
    checkpoint = load_checkpoint(tmp_path / "ddp" / "rank0" / CHECKPOINT_DIRNAME / "step_00000003.pt")
    assert checkpoint["world_size"] == 2 and len(checkpoint["per_rank"]) == 2
    assert checkpoint["per_rank"][0]["loader"] == checkpoint["per_rank"][1]["loader"]  # global position
