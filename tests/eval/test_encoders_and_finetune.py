"""Encoders rebuilt from checkpoints alone (or randomly initialised), and fine-tuning's lr scale."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import torch

from temporal_ssl.data.transforms import VideoEvalTransform
from temporal_ssl.engine.checkpoint import FORMAT_VERSION, save_atomic
from temporal_ssl.engine.optim import set_learning_rate
from temporal_ssl.errors import CheckpointError, ConfigError
from temporal_ssl.eval.config import ClipViews, ExtractionConfig, FinetuneConfig
from temporal_ssl.eval.encoders import load_encoder, random_encoder, weights_sha256
from temporal_ssl.eval.finetune import (
    build_classifier,
    build_finetune_optimizer,
    run_finetune,
    train_classifier,
)
from temporal_ssl.models import build_pretext_model
from temporal_ssl.pipeline.loader import LoaderConfig
from temporal_ssl.types import VideoRecord

TINY = {"widths": [4, 8], "temporal_strides": [1, 2], "spatial_strides": [2, 2]}


def save_package_checkpoint(path: Path) -> torch.nn.Module:
    """A checkpoint laid out as the engine writes it (model state of a PretextModel + resolved config)."""
    model = build_pretext_model("r3d_tiny", TINY, "linear", {"num_classes": 6})
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter)
    config = {"model": {"encoder": "r3d_tiny", "encoder_options": TINY}, "data": {"format": "folder"}}
    save_atomic(
        {"format_version": FORMAT_VERSION, "step": 3, "model": model.state_dict(), "config": config}, path
    )
    return model.encoder


def test_a_package_checkpoint_rebuilds_its_encoder_alone(tmp_path: Path) -> None:
    path = tmp_path / "step_00000003.pt"
    original = save_package_checkpoint(path)
    loaded = load_encoder(path)
    assert loaded.name == "r3d_tiny" and loaded.options == TINY
    assert weights_sha256(loaded.encoder) == weights_sha256(original)
    assert loaded.checkpoint_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    x = torch.randn(2, 3, 8, 16, 16)
    original.eval(), loaded.encoder.eval()
    assert torch.equal(loaded.encoder.forward_features(x), original.forward_features(x))


def test_a_plain_state_dict_loads_when_the_architecture_is_named(tmp_path: Path) -> None:
    encoder = random_encoder("r3d_tiny", TINY, seed=5).encoder
    path = tmp_path / "weights.pt"
    torch.save({f"backbone.{k}": v for k, v in encoder.state_dict().items()}, path)
    with pytest.raises(ConfigError, match=re.escape("does not say which encoder it holds")):
        load_encoder(path)
    loaded = load_encoder(path, encoder="r3d_tiny", encoder_options=TINY)
    assert weights_sha256(loaded.encoder) == weights_sha256(encoder)
    with pytest.raises(CheckpointError, match="does not fit encoder 'r3d_tiny'"):
        load_encoder(path, encoder="r3d_tiny")  # default widths: the weights do not fit


def test_random_init_is_seeded_and_needs_an_architecture() -> None:
    with pytest.raises(ConfigError, match=re.escape("--checkpoint random needs the architecture")):
        load_encoder("random")
    first = load_encoder("random", encoder="r3d_tiny", encoder_options=TINY, seed=1)
    assert weights_sha256(first.encoder) == weights_sha256(random_encoder("r3d_tiny", TINY, seed=1).encoder)
    assert weights_sha256(first.encoder) != weights_sha256(random_encoder("r3d_tiny", TINY, seed=2).encoder)
    assert first.checkpoint is None and first.checkpoint_sha256 is None


def test_backbone_learning_rate_scale_applies_to_the_encoder_groups_only() -> None:
    model = build_classifier(random_encoder("r3d_tiny", TINY).encoder, 3)
    optimizer = build_finetune_optimizer(model, FinetuneConfig(backbone_lr_scale=0.1, max_steps=1))
    encoder_ids = {id(p) for p in model.encoder.parameters()}
    for group in optimizer.param_groups:
        in_encoder = {id(p) in encoder_ids for p in group["params"]}
        assert len(in_encoder) == 1
        assert group["lr_scale"] == (0.1 if in_encoder.pop() else 1.0)
    set_learning_rate(optimizer, 0.5)  # what the engine does before every step
    assert sorted({g["lr"] for g in optimizer.param_groups}) == [0.05, 0.5]
    frozen = build_finetune_optimizer(model, FinetuneConfig(backbone_lr_scale=0.0, max_steps=1))
    assert not {id(p) for g in frozen.param_groups for p in g["params"]} & encoder_ids


def test_a_frozen_backbone_keeps_its_weights_while_the_head_learns(
    labeled_records: list[VideoRecord],
) -> None:
    encoder = random_encoder("r3d_tiny", TINY).encoder
    before = weights_sha256(encoder)
    views = ClipViews(
        num_clips=2,
        num_frames_per_clip=8,
        transform=VideoEvalTransform(resize=None, crop_size=32, num_crops=1),
    )
    config = FinetuneConfig(
        num_frames_per_clip=8,
        augment=None,
        max_steps=3,
        epochs=None,
        backbone_lr_scale=0.0,
        loader=LoaderConfig(batch_size=3, num_workers=0, decode_size=(32, 32)),
        progress_bar=False,
        test_views=views,
    )
    result = run_finetune(
        encoder,
        labeled_records,
        labeled_records,
        num_classes=3,
        config=config,
        extraction=ExtractionConfig(num_workers=0, progress_bar=False),
    )
    assert weights_sha256(encoder) == before  # BatchNorm statistics included
    initial_head = build_classifier(random_encoder("r3d_tiny", TINY).encoder, 3).head  # same seed
    assert not torch.equal(result.trained.model.head.fc.weight, initial_head.fc.weight)
    assert result.trained.steps == 3
    assert result.test_logits.features.shape == (6, 2, 3)
    assert set(result.metrics.clip_topk) == {1}


def test_finetuning_labels_its_progress_bar(
    labeled_records: list[VideoRecord], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = FinetuneConfig(
        num_frames_per_clip=8,
        augment=None,
        max_steps=1,
        epochs=None,
        loader=LoaderConfig(batch_size=3, num_workers=0, decode_size=(32, 32)),
        progress_bar=True,
    )
    encoder = random_encoder("r3d_tiny", TINY).encoder
    train_classifier(encoder, labeled_records, num_classes=3, config=config, output_dir=tmp_path)
    bar = capsys.readouterr().err
    assert "finetune" in bar and "pretrain" not in bar
