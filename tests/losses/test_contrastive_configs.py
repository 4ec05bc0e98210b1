"""The CVRL and ρ-clips configs build the published heads and losses: global-batch negatives for CVRL and
ρSimCLR, queue-only negatives with a momentum encoder for ρMoCo, BYOL's projector and predictor for ρBYOL."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from temporal_ssl.engine.components import Components, build_components
from temporal_ssl.engine.pretrain_config import load_pretrain_config
from temporal_ssl.losses import BYOLLoss, InfoNCELoss

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "pretrain"
# The framework switches configs/pretrain/rho_clips.yaml and docs/distributed.md give.
RHO_MOCO = ["model.momentum=0.994", "model.loss_options.queue_size=65536",
            "model.loss_options.in_batch_negatives=false"]
RHO_BYOL = ["model.loss=byol", "model.momentum=0.996", "model.predictor=byol_predictor",
            "model.head_options={num_layers: 2, hidden_dim: 4096, out_dim: 256, batch_norm: true}"]


def _build(name: str, overrides: list[str]) -> Components:
    return build_components(load_pretrain_config(CONFIGS / name, overrides))


def _layers(mlp: nn.Module) -> list[tuple[str, int]]:
    """(kind, output width) of each Linear / BatchNorm layer, in order."""
    return [("linear", m.out_features) if isinstance(m, nn.Linear) else ("bn", m.num_features)
            for m in mlp.modules() if isinstance(m, nn.Linear | nn.BatchNorm1d)]


@pytest.mark.parametrize("config", ["cvrl.yaml", "rho_clips.yaml"])
def test_cvrl_and_rho_simclr_gather_negatives_across_ranks(config: str) -> None:
    loss = _build(config, []).loss_fn
    assert isinstance(loss, InfoNCELoss)
    assert loss.gather_across_ranks and loss.in_batch_negatives and loss.queue is None
    assert loss.temperature == pytest.approx(0.1)


def test_rho_simclr_head_is_three_layers_without_batchnorm() -> None:
    components = _build("rho_clips.yaml", ["pretext.options.num_clips=4"])
    assert _layers(components.model.head) == [("linear", 2048), ("linear", 2048), ("linear", 128)]
    assert components.model.momentum_encoder is None and components.pretext.num_clips == 4


@pytest.mark.parametrize("num_clips", [2, 4])
def test_rho_moco_has_a_momentum_encoder_and_queue_only_negatives(num_clips: int) -> None:
    components = _build("rho_clips.yaml", [*RHO_MOCO, f"pretext.options.num_clips={num_clips}"])
    loss, model = components.loss_fn, components.model
    assert isinstance(loss, InfoNCELoss) and not loss.in_batch_negatives
    assert loss.queue is not None and loss.queue.size == 65536
    assert model.momentum == pytest.approx(0.994) and model.momentum_schedule == "cosine"
    assert model.momentum_encoder is not None and model.predictor is None
    assert model.shuffle_bn  # the key batch is shuffled under torchrun (r3d_tiny has BatchNorm)
    assert components.pretext.num_clips == num_clips


def test_rho_byol_has_its_own_projector_and_predictor() -> None:
    components = _build("rho_clips.yaml", RHO_BYOL)
    model = components.model
    assert isinstance(components.loss_fn, BYOLLoss)
    assert model.momentum == pytest.approx(0.996) and model.momentum_head is not None
    assert _layers(model.head) == [("linear", 4096), ("bn", 4096), ("linear", 256)]
    assert model.predictor is not None
    assert _layers(model.predictor) == [("linear", 4096), ("bn", 4096), ("linear", 256)]
    out = model(torch.randn(2, 2, 3, 16, 32, 32))
    assert out.predictions is not None and out.keys is not None and out.predictions.shape == (2, 2, 256)
