"""A fine-tune stopped by SIGTERM and resumed ends exactly where an uninterrupted one ends (CPU).

Fine-tuning goes through the engine's loop, so it inherits exact resume: the stopped run saves a checkpoint
like pretraining does, and ``resume="auto"`` continues with the same batches, augmentations, dropout masks,
BatchNorm statistics and optimizer moments; a run from other starting weights or settings is refused.
"""

from __future__ import annotations

import re
import signal
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from temporal_ssl.data.transforms import VideoEvalTransform
from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, list_checkpoints, load_checkpoint
from temporal_ssl.engine.metrics_log import read_metrics
from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.engine.signals import TrainingStopped
from temporal_ssl.errors import CheckpointError, ConfigError
from temporal_ssl.eval.config import ClipViews, ExtractionConfig, FinetuneConfig
from temporal_ssl.eval.encoders import load_encoder, random_encoder, weights_sha256
from temporal_ssl.eval.finetune import FinetuneResult, run_finetune
from temporal_ssl.pipeline.loader import LoaderConfig
from temporal_ssl.types import VideoRecord

TINY = {"widths": [4, 8], "temporal_strides": [1, 2], "spatial_strides": [2, 2]}
STEPS = 4
CONFIG = FinetuneConfig(
    num_frames_per_clip=4,
    max_steps=STEPS,
    epochs=None,
    head_dropout=0.3,
    optim=OptimConfig(name="adamw", lr=3e-3, warmup_steps=2, weight_decay=0.01),
    backbone_lr_scale=0.5,
    loader=LoaderConfig(batch_size=3, num_workers=0, decode_size=(32, 32)),
    log_every_steps=1,
    progress_bar=False,
    test_views=ClipViews(
        num_clips=2,
        num_frames_per_clip=4,
        transform=VideoEvalTransform(resize=None, crop_size=32, num_crops=1),
    ),
)
EXTRACTION = ExtractionConfig(num_workers=0, progress_bar=False, cache=False)
MODEL = {"model": {"encoder": "r3d_tiny", "encoder_options": TINY}}


def _finetune(
    records: list[VideoRecord],
    out: Path,
    *,
    init_seed: int,
    stop_at: int | None = None,
    resume: str | None = "auto",
    config: FinetuneConfig = CONFIG,
) -> FinetuneResult:
    encoder = random_encoder("r3d_tiny", TINY, seed=init_seed).encoder
    forwards = []

    def stop_hook(module: torch.nn.Module, args: Any) -> None:
        forwards.append(1)  # one training forward per step: the step index is len(forwards) - 1
        if len(forwards) - 1 == stop_at:
            signal.raise_signal(signal.SIGTERM)  # mid-step: the loop must finish the step, save and stop

    encoder.register_forward_pre_hook(stop_hook)
    return run_finetune(
        encoder,
        records,
        records,
        num_classes=3,
        config=config,
        extraction=EXTRACTION,
        output_dir=out,
        checkpoint_config=MODEL,
        resume=resume,
        seed=3,
    )


def test_a_fine_tune_stopped_by_sigterm_resumes_exactly(
    labeled_records: list[VideoRecord], tmp_path: Path
) -> None:
    straight = _finetune(labeled_records, tmp_path / "straight", init_seed=1)
    assert straight.trained.steps == STEPS
    assert straight.trained.checkpoint == tmp_path / "straight" / CHECKPOINT_DIRNAME / f"step_{STEPS:08d}.pt"

    with pytest.raises(TrainingStopped) as stopped:
        _finetune(labeled_records, tmp_path / "split", init_seed=1, stop_at=1)
    assert stopped.value.exit_code == 128 + signal.SIGTERM
    assert stopped.value.checkpoint == tmp_path / "split" / CHECKPOINT_DIRNAME / "step_00000002.pt"
    assert "run the same command again" in str(stopped.value)

    with pytest.raises(ConfigError, match=re.escape("already holds checkpoints of another run")):
        _finetune(labeled_records, tmp_path / "split", init_seed=1, resume=None)  # would mix two runs

    with pytest.raises(CheckpointError, match=re.escape("'finetune.initial_weights' is")):
        _finetune(labeled_records, tmp_path / "split", init_seed=99)  # other starting weights: another run

    resumed = _finetune(labeled_records, tmp_path / "split", init_seed=1)  # resume="auto" by default
    assert resumed.trained.steps == STEPS
    for key, value in straight.trained.model.state_dict().items():
        assert torch.equal(resumed.trained.model.state_dict()[key], value), key
    assert torch.equal(resumed.test_logits.features, straight.test_logits.features)
    assert resumed.metrics == straight.metrics
    straight_log = read_metrics(tmp_path / "straight" / "metrics.jsonl")
    split_log = read_metrics(tmp_path / "split" / "metrics.jsonl")
    assert [r["step"] for r in split_log] == list(range(1, STEPS + 1))  # no step logged twice
    assert [r["loss"] for r in split_log] == [r["loss"] for r in straight_log]

    # running it again with other fine-tune settings cannot continue the finished run
    other = replace(CONFIG, optim=replace(CONFIG.optim, lr=1e-3))
    with pytest.raises(CheckpointError, match=re.escape("'finetune.optim.lr' is 0.001 now but was 0.003")):
        _finetune(labeled_records, tmp_path / "split", init_seed=1, config=other)

    # the fine-tune's checkpoint is a package checkpoint: the encoder rebuilds from it alone
    final = list_checkpoints(tmp_path / "split" / CHECKPOINT_DIRNAME)[-1][1]
    assert load_checkpoint(final)["step"] == STEPS
    loaded = load_encoder(final)
    assert weights_sha256(loaded.encoder) == weights_sha256(resumed.trained.model.encoder)
