"""Video ViT: divided vs joint attention, position embeddings for other clip sizes, pooling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from temporal_ssl.models import build_encoder
from temporal_ssl.models.layers.pos_embed import sincos_3d


def _divided_copy_of(joint: torch.nn.Module) -> torch.nn.Module:
    """A divided-attention ViT with the joint model's weights and a temporal attention that adds nothing."""
    divided = build_encoder("video_vit_tiny", {"attention": "divided"})
    missing, unexpected = divided.load_state_dict(joint.state_dict(), strict=False)
    assert not unexpected and all(".attn_time." in k or ".norm_time." in k for k in missing)
    for block in divided.blocks:
        torch.nn.init.zeros_(block.attn_time.proj.weight)
        torch.nn.init.zeros_(block.attn_time.proj.bias)
    return divided.eval()


def test_divided_equals_joint_on_a_single_time_step_and_differs_otherwise() -> None:
    torch.manual_seed(0)
    joint = build_encoder("video_vit_tiny").eval()
    divided = _divided_copy_of(joint)
    with torch.no_grad():
        one_slot = torch.randn(2, 3, 2, 32, 32)  # T' = 1: spatial attention over one frame is joint attention
        torch.testing.assert_close(divided(one_slot), joint(one_slot), rtol=1e-4, atol=1e-5)
        clip = torch.randn(2, 3, 8, 32, 32)
        assert not torch.allclose(divided(clip), joint(clip), atol=1e-3)


def test_divided_spatial_attention_stays_within_a_frame() -> None:
    torch.manual_seed(0)
    joint = build_encoder("video_vit_tiny").eval()
    divided = _divided_copy_of(joint)  # temporal branch silenced: only spatial attention mixes tokens
    clip = torch.randn(1, 3, 8, 32, 32)
    changed = clip.clone()
    changed[:, :, 6:] += 1.0  # only the last temporal token slot (frames 6-7) changes
    with torch.no_grad():
        div_a, div_b = divided.forward_feature_map(clip), divided.forward_feature_map(changed)
        joint_a, joint_b = joint.forward_feature_map(clip), joint.forward_feature_map(changed)
    torch.testing.assert_close(div_a[:, :, :3], div_b[:, :, :3], rtol=1e-4, atol=1e-5)
    assert not torch.allclose(joint_a[:, :, :3], joint_b[:, :, :3], atol=1e-3)


@pytest.mark.parametrize("attention", ["joint", "divided"])
@pytest.mark.parametrize("pos_embed", ["sincos", "learnable"])
def test_vit_runs_on_clips_of_another_size(attention: str, pos_embed: str) -> None:
    encoder = build_encoder("video_vit_tiny", {"attention": attention, "pos_embed": pos_embed})
    assert encoder.forward_feature_map(torch.randn(1, 3, 8, 48, 64)).shape == (1, 128, 4, 6, 8)


def test_vit_rejects_a_clip_that_does_not_tile() -> None:
    encoder = build_encoder("video_vit_tiny")
    with pytest.raises(ValueError, match="input height 36 is not a multiple of the tubelet size"):
        encoder(torch.randn(1, 3, 4, 36, 32))


@pytest.mark.parametrize("attention", ["joint", "divided"])
def test_cls_pooling_trains_the_cls_token(attention: str) -> None:
    encoder = build_encoder("video_vit_tiny", {"pooling": "cls", "attention": attention})
    x = torch.randn(2, 3, 4, 32, 32)
    features = encoder(x)
    assert features.shape == (2, 128)
    assert encoder.forward_feature_map(x).shape == (2, 128, 2, 4, 4)
    features.square().sum().backward()  # (a plain sum of LayerNorm outputs is constant: zero gradient)
    assert encoder.cls_token.grad is not None and encoder.cls_token.grad.abs().sum() > 0


def test_sincos_embedding_matches_the_transformer_formula() -> None:
    dim, grid = 12, (2, 3, 4)
    table = sincos_3d(grid, dim)[0].numpy()
    assert table.shape == (24, 12)
    # dim 12: height and width get 4 columns each, time the first 4; token order (t h w).
    def reference(position: int, width: int) -> np.ndarray:
        omega = 1.0 / 10000 ** (np.arange(width // 2) * 2 / width)
        return np.concatenate([np.sin(position * omega), np.cos(position * omega)])
    for token, (t, h, w) in enumerate((t, h, w) for t in range(2) for h in range(3) for w in range(4)):
        expected = np.concatenate([reference(t, 4), reference(h, 4), reference(w, 4)])
        np.testing.assert_allclose(table[token], expected, rtol=1e-5, atol=1e-6)
    assert len({tuple(np.round(row, 5)) for row in table}) == 24  # every position distinct
    assert math.isclose(float(table[0, 4 + 2]), 1.0)  # cos(0) in the height block
