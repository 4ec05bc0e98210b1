"""``finetune.checkpoint_every_steps`` and ``finetune.keep_checkpoints`` reach the engine's loop."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, list_checkpoints
from temporal_ssl.errors import ConfigError
from temporal_ssl.eval import load_eval_config
from temporal_ssl.eval.encoders import random_encoder
from temporal_ssl.eval.finetune import run_finetune
from temporal_ssl.types import VideoRecord
from tests.eval.test_finetune_resume import CONFIG, EXTRACTION, MODEL, STEPS, TINY


def test_a_fine_tune_saves_every_n_steps_and_keeps_the_newest(labeled_records: list[VideoRecord],
                                                              tmp_path: Path) -> None:
    config = replace(CONFIG, checkpoint_every_steps=1, keep_checkpoints=2)
    run_finetune(random_encoder("r3d_tiny", TINY, seed=1).encoder, labeled_records, labeled_records,
                 num_classes=3, config=config, extraction=EXTRACTION, output_dir=tmp_path,
                 checkpoint_config=MODEL, seed=3)
    assert [step for step, _ in list_checkpoints(tmp_path / CHECKPOINT_DIRNAME)] == [STEPS - 1, STEPS]


def test_the_checkpoint_schedule_is_checked_and_read_from_the_config() -> None:
    overrides = ["finetune.checkpoint_every_steps=50", "finetune.keep_checkpoints=0"]
    config = load_eval_config("configs/eval/finetune.yaml", overrides)
    assert (config.finetune.checkpoint_every_steps, config.finetune.keep_checkpoints) == (50, 0)
    for bad in ("finetune.checkpoint_every_steps=0", "finetune.keep_checkpoints=-1"):
        with pytest.raises(ConfigError, match=bad.split("=")[0]):
            load_eval_config("configs/eval/finetune.yaml", [bad])
