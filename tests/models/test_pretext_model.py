"""PretextModel: one encoder call for all views, each variant's output fields, and the training protocol."""

from __future__ import annotations

import re

import pytest
import torch

from temporal_ssl.errors import ConfigError
from temporal_ssl.losses import InfoNCELoss
from temporal_ssl.models import ModelOutput, PretextModel, build_pretext_model
from temporal_ssl.types import Batch

SMALL = {"widths": [4, 8], "temporal_strides": [1, 2], "spatial_strides": [2, 2]}
PROJECTION = {"out_dim": 6, "hidden_dim": 16}


def _views(batch: int = 3, num_views: int = 2) -> torch.Tensor:
    return torch.randn(batch, num_views, 3, 4, 16, 16)


def test_every_view_goes_through_the_encoder_in_one_call_in_order() -> None:
    head = {"num_views": 3, "num_classes": 6}
    model = build_pretext_model("r3d_tiny", SMALL, "order_pairwise", head).eval()
    calls = []
    model.encoder.register_forward_hook(lambda module, args, out: calls.append(args[0].shape))
    views = _views(num_views=3)
    with torch.no_grad():
        out = model(views)
        assert calls == [torch.Size([9, 3, 4, 16, 16])]
        assert out.logits is not None and out.logits.shape == (3, 6)
        assert out.embeddings is None and out.keys is None
        torch.testing.assert_close(out.features[1, 2], model.encoder(views[1, 2:3])[0])


def test_momentum_model_gives_keys_without_gradient() -> None:
    model = build_pretext_model("r3d_tiny", SMALL, "projection_mlp", PROJECTION, momentum=0.99).eval()
    out = model(_views())
    assert out.embeddings is not None and out.keys is not None and out.predictions is None
    assert out.keys.shape == out.embeddings.shape == (3, 2, 6)
    assert not out.keys.requires_grad
    torch.testing.assert_close(out.keys, out.embeddings.detach())  # the copy starts equal to the online one
    online = {id(p) for p in model.encoder.parameters()} | {id(p) for p in model.head.parameters()}
    assert {id(p) for p in model.trainable_parameters()} == online


def test_byol_and_simsiam_variants() -> None:
    byol = build_pretext_model("r3d_tiny", SMALL, "projection_mlp", PROJECTION, momentum=0.996,
                               predictor="byol_predictor", predictor_options={"hidden_dim": 12})
    out = byol(_views())
    assert out.predictions is not None and out.predictions.shape == (3, 2, 6) and out.keys is not None
    simsiam = build_pretext_model("r3d_tiny", SMALL, "projection_mlp", PROJECTION, predictor="byol_predictor")
    out = simsiam(_views())
    assert out.keys is not None and out.embeddings is not None
    assert not out.keys.requires_grad
    torch.testing.assert_close(out.keys, out.embeddings.detach())


def test_update_momentum_moves_the_copy_towards_the_online_branch() -> None:
    model = build_pretext_model("r3d_tiny", SMALL, "projection_mlp", PROJECTION, momentum=0.9,
                                momentum_schedule="constant")
    with torch.no_grad():
        for p in model.encoder.parameters():
            p.add_(1.0)
    old = [p.clone() for p in model.momentum_encoder.parameters()]
    assert model.update_momentum(3, 10) == pytest.approx(0.9)
    for new, previous, online in zip(model.momentum_encoder.parameters(), old, model.encoder.parameters(),
                                     strict=True):
        torch.testing.assert_close(new, 0.9 * previous + 0.1 * online)
    plain = build_pretext_model("r3d_tiny", SMALL, "projection_mlp", PROJECTION)
    assert plain.update_momentum(3, 10) is None


def test_logit_heads_refuse_a_momentum_branch() -> None:
    with pytest.raises(ConfigError, match=re.escape("needs an embedding head (projection_mlp, identity)")):
        build_pretext_model("r3d_tiny", SMALL, "linear", {"num_classes": 2}, momentum=0.99)
    model = build_pretext_model("r3d_tiny", SMALL, "linear", {"num_classes": 2})
    with pytest.raises(ValueError, match=re.escape("expects views [B, V, C, T, H, W]")):
        model(torch.randn(2, 3, 4, 16, 16))


def test_missing_output_field_names_the_head_to_use() -> None:
    out = ModelOutput(features=torch.zeros(1, 1, 2), logits=torch.zeros(1, 2))
    with pytest.raises(ConfigError, match=re.escape("loss 'info_nce' needs ModelOutput.embeddings")):
        out.require("embeddings", by="info_nce")


def test_the_engine_protocol_trains_a_moco_model() -> None:
    """model(views) → loss_fn(out, batch, step) → backward → step → update_momentum, as the trainer does."""
    torch.manual_seed(0)
    model = build_pretext_model("r3d_tiny", SMALL, "projection_mlp", PROJECTION, momentum=0.9)
    assert isinstance(model, PretextModel)
    loss_fn = InfoNCELoss(temperature=0.2, queue_size=10)
    optimizer = torch.optim.SGD(model.trainable_parameters(), lr=0.1)
    batch = Batch(views=_views(4), target=torch.full((4,), -1),
                  instance_ids=torch.zeros(4, 2, dtype=torch.long), video_indices=torch.arange(4),
                  roles=("clip", "clip"))
    for step in range(3):
        out = model(batch.views)
        loss_out = loss_fn(out, batch, step)
        optimizer.zero_grad()
        loss_out.loss.backward()
        optimizer.step()
        model.update_momentum(step, 3)
        assert torch.isfinite(loss_out.loss)
    assert int(loss_fn.queue.pointer) == (3 * 8) % 10  # 4 samples x 2 views enqueued per step
    assert not torch.equal(next(model.momentum_encoder.parameters()), next(model.encoder.parameters()))
    assert all(p.grad is None for p in model.momentum_encoder.parameters())
