"""The GPU benchmark without a GPU: its refusal, its frame check, the overrides it gives every config."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from benchmarks import gpu
from benchmarks.nvdec_check import FrameCheck, check_decoders, compare_frames, markdown_table, sample_indices
from temporal_ssl.engine.pretrain_config import load_pretrain_config
from temporal_ssl.io import open_video


def test_without_cuda_it_exits_with_a_message(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit) as exit_info:
        gpu.main(["--videos", "/nonexistent"])
    assert "needs an NVIDIA GPU" in str(exit_info.value.code) and "is_available() is False" in str(
        exit_info.value.code)


def test_sample_indices_include_both_ends() -> None:
    indices = sample_indices(90, 24, seed=3)
    assert indices == sorted(set(indices)) and len(indices) == 24 and indices[0] == 0 and indices[-1] == 89
    assert sample_indices(2, 24) == [0, 1] and sample_indices(1, 24) == [0]


def test_frame_check_finds_an_off_by_one_decoder(bframes_video: Path) -> None:
    def exact(path: Path, indices: list[int]) -> torch.Tensor:
        with open_video(path, backend="pyav") as reader:
            return reader.get_frames(indices)

    def one_late(path: Path, indices: list[int]) -> torch.Tensor:
        with open_video(path, backend="pyav") as reader:
            return reader.get_frames([min(i + 1, 89) if i == 40 else i for i in indices])

    def broken(path: Path, indices: list[int]) -> torch.Tensor:
        raise RuntimeError("no decoder for this codec")

    checks = {c.decoder: c for c in check_decoders(bframes_video, {"exact": exact, "late": one_late,
                                                                   "broken": broken}, count=90)}
    assert checks["exact"].matching == checks["exact"].frames == 90 and checks["exact"].max_abs_diff == 0
    assert checks["late"].mismatches == [(40, 41)] and checks["late"].max_abs_diff > 0
    assert checks["broken"].frames == 0 and "no decoder for this codec" in checks["broken"].error
    table = markdown_table(list(checks.values()))
    assert "| h264_bframes.mp4 | late | 89/90 |" in table and "40->41" in table


def test_frame_check_reports_a_shape_mismatch() -> None:
    reference = {0: torch.zeros(3, 8, 8, dtype=torch.uint8), 1: torch.ones(3, 8, 8, dtype=torch.uint8)}
    check = compare_frames(FrameCheck("x.mp4", "gpu"), torch.zeros(2, 3, 4, 4, dtype=torch.uint8), [0, 1],
                           reference)
    assert check.error is not None and "(2, 3, 4, 4)" in check.error


def test_every_pretrain_config_takes_the_gpu_overrides(tmp_path: Path) -> None:
    configs = sorted(gpu.PRETRAIN_CONFIGS.glob("*.yaml"))
    assert len(configs) >= 10
    for path in configs:
        config = load_pretrain_config(path, gpu.train_overrides(20, 64, 256, tmp_path / path.stem))
        assert (config.train.max_steps, config.loader.batch_size, config.train.device) == (20, 64, "cuda")
        assert config.data.synthetic.num_pretrain_scenes == 256
