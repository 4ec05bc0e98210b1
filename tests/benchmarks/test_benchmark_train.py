"""The training benchmark on a folder of videos: the loader beside the model alone, one tiny run."""

from __future__ import annotations

from pathlib import Path

import torch

from benchmarks.train import DEFAULT_CONFIG, folder_overrides
from benchmarks.train_runner import format_table, run_benchmark


def test_loader_and_model_alone_on_a_folder_smaller_than_a_batch(tmp_path: Path, bframes_video: Path) -> None:
    (tmp_path / "one.mp4").write_bytes(bframes_video.read_bytes())
    overrides = [*folder_overrides(tmp_path, frames=4, size=32, decode_size=48, default_config=True),
                 "loader.num_workers=0"]
    rows = run_benchmark(["r3d_tiny"], inputs=["synthetic", "loader"], device=torch.device("cpu"),
                         batch_size=3, steps=1, warmup_steps=0, amp="off", frames=4, size=32,
                         config_path=str(DEFAULT_CONFIG), overrides=overrides)
    synthetic, loader = rows
    assert (synthetic.input, loader.input) == ("synthetic", "loader")
    assert loader.batch_size == 3  # one video, cycled to fill the batch
    assert loader.clip_shape == (3, 4, 32, 32)
    assert 0.0 <= loader.data_wait_fraction <= 1.0 and synthetic.clips_per_second > 0
    ratio = f"{loader.clips_per_second / synthetic.clips_per_second:.2f}x"
    assert f"| {ratio} |" in format_table(rows).splitlines()[3]
