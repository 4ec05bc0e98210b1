"""Every registered encoder keeps the contract on a tiny clip; behaviour specific to each family."""

from __future__ import annotations

import re

import pytest
import torch

from temporal_ssl.errors import ConfigError
from temporal_ssl.models import build_encoder
from temporal_ssl.models.encoders import VideoEncoder
from temporal_ssl.registry import ENCODERS

TINY_INPUT = (2, 3, 4, 32, 32)
# ViT-S/B keep their width but run 2 blocks on 4×32×32 clips (the full depth is checked by construction only);
# everything else at its defaults.
SIZE_CAPS = {name: {"input_size": 32, "num_frames": 4, "depth": 2} for name in ("video_vit_s", "video_vit_b")}
# Feature-map shapes on TINY_INPUT, from the documented strides: video ResNets halve T in stages 2 and 3 and
# H, W in the stem and stages 2-4; the small CNNs stride T by (1, 2, 2, 1) and H, W by 2 per unit; frame
# encoders keep T; the ViTs cut 2×16×16 (tiny: 2×8×8) tubelets.
MAP_SHAPES = {
    "r3d_18": (512, 1, 2, 2), "r2plus1d_18": (512, 1, 2, 2),
    "r3d_10": (512, 1, 2, 2), "r2plus1d_10": (512, 1, 2, 2),
    "r3d_tiny": (128, 1, 2, 2), "r2plus1d_tiny": (128, 1, 2, 2), "resnet2d_tiny": (128, 4, 2, 2),
    "resnet18_2d": (512, 4, 1, 1), "video_vit_tiny": (128, 2, 4, 4), "video_vit_s": (384, 2, 2, 2),
    "video_vit_b": (768, 2, 2, 2),
}


def test_every_registered_encoder_has_an_expected_map_shape() -> None:
    assert sorted(MAP_SHAPES) == ENCODERS.names()


@pytest.mark.parametrize("name", ENCODERS.names())
def test_encoder_contract_on_a_tiny_clip(name: str) -> None:
    torch.manual_seed(0)
    encoder = build_encoder(name, SIZE_CAPS.get(name))
    assert isinstance(encoder, VideoEncoder)
    x = torch.randn(*TINY_INPUT)
    features = encoder(x)
    assert features.shape == (2, encoder.num_features)
    assert torch.isfinite(features).all()
    feature_map = encoder.forward_feature_map(x)
    assert feature_map.shape == (2, *MAP_SHAPES[name])
    # Pooled features are the mean of the feature map (every encoder here mean-pools).
    pooled = feature_map.mean(dim=(2, 3, 4))
    torch.testing.assert_close(encoder.forward_features(x), pooled, rtol=1e-4, atol=1e-5)
    features.square().mean().backward()
    missing = [n for n, p in encoder.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing, f"parameters without gradient (would break DDP): {missing[:5]}"
    assert all(torch.isfinite(p.grad).all() for p in encoder.parameters() if p.grad is not None)


@pytest.mark.parametrize(("name", "width", "heads"), [("video_vit_s", 384, 6), ("video_vit_b", 768, 12)])
def test_full_size_vits_have_the_videomae_configuration(name: str, width: int, heads: int) -> None:
    encoder = build_encoder(name)
    assert encoder.num_features == width and len(encoder.blocks) == 12
    assert encoder.blocks[0].attn.num_heads == heads
    assert encoder.grid == (8, 14, 14)  # 16×224×224 in 2×16×16 tubelets: 1568 tokens


@pytest.mark.parametrize("name", ["r3d_tiny", "r2plus1d_tiny"])
def test_tiny_3d_encoders_keep_four_time_steps_at_the_cpu_size(name: str) -> None:
    feature_map = build_encoder(name).eval().forward_feature_map(torch.randn(1, 3, 16, 32, 32))
    assert feature_map.shape == (1, 128, 4, 2, 2)


@pytest.mark.parametrize("name", ["resnet2d_tiny", "resnet18_2d"])
def test_frame_encoders_ignore_frame_order(name: str) -> None:
    encoder = build_encoder(name).eval()
    x = torch.randn(2, 3, 5, 32, 32)
    shuffled = x[:, :, torch.tensor([3, 0, 4, 1, 2])]
    with torch.no_grad():
        torch.testing.assert_close(encoder(shuffled), encoder(x), rtol=1e-4, atol=1e-5)
        # ... yet each frame's map is that frame's own encoding.
        torch.testing.assert_close(encoder.forward_feature_map(x)[:, :, 2],
                                   encoder.forward_feature_map(x[:, :, 2:3])[:, :, 0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["r3d_tiny", "r2plus1d_tiny", "video_vit_tiny"])
def test_video_encoders_see_frame_order(name: str) -> None:
    encoder = build_encoder(name).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        assert not torch.allclose(encoder(x.flip(2)), encoder(x), atol=1e-4)


def test_vcop_ten_layer_variants_have_one_block_per_stage() -> None:
    for name, blocks in [("r3d_10", 1), ("r2plus1d_10", 1), ("r3d_18", 2), ("r2plus1d_18", 2)]:
        net = build_encoder(name).net
        assert [len(stage) for stage in (net.layer1, net.layer2, net.layer3, net.layer4)] == [blocks] * 4
    assert build_encoder("r2plus1d_10").net.stem[0].kernel_size == (1, 7, 7)  # factorised stem
    assert build_encoder("r3d_10").net.stem[0].kernel_size == (3, 7, 7)


@pytest.mark.parametrize("name", ["r3d_10", "resnet18_2d", "r3d_tiny", "resnet2d_tiny", "video_vit_tiny"])
def test_in_channels_option_changes_the_input_layer(name: str) -> None:
    encoder = build_encoder(name, {"in_channels": 1})
    assert encoder(torch.randn(2, 1, 4, 32, 32)).shape == (2, encoder.num_features)
    with pytest.raises(ValueError, match=re.escape("channels in dimension 1 of [B, C, T, H, W]")):
        encoder(torch.randn(2, 3, 4, 32, 32))


def test_wrong_layout_names_the_encoder() -> None:
    encoder = build_encoder("r3d_tiny")
    with pytest.raises(ValueError, match="encoder 'r3d_tiny' expects a float clip batch"):
        encoder(torch.randn(3, 4, 32, 32))
    with pytest.raises(ValueError, match="if the layout is \\[B, T, C, H, W\\], permute it"):
        encoder(torch.randn(2, 4, 3, 32, 32))


def test_small_cnn_widths_and_depth_are_options() -> None:
    encoder = build_encoder("r3d_tiny", {"widths": [8, 16, 24], "temporal_strides": [1, 2, 1],
                                         "spatial_strides": [2, 2, 2]})
    assert encoder.num_features == 24
    assert encoder.forward_feature_map(torch.randn(1, 3, 8, 32, 32)).shape == (1, 24, 4, 4, 4)
    with pytest.raises(ValueError, match="must be non-empty lists of the same length"):
        build_encoder("r3d_tiny", {"widths": [8, 16], "temporal_strides": [1]})


def test_unknown_encoder_and_option_fail_with_the_valid_choices() -> None:
    with pytest.raises(ConfigError, match=re.escape("unknown encoder 'r3d18'; did you mean 'r3d_18'?")):
        build_encoder("r3d18")
    message = "unknown key 'model.encoder.atention'; did you mean 'attention'?"
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_encoder("video_vit_tiny", {"atention": "divided"})
