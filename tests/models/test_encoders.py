"""Every registered encoder keeps the contract on a tiny clip; behaviour specific to each family."""

from __future__ import annotations

import functools
import re

import pytest
import torch

from temporal_ssl.errors import ConfigError
from temporal_ssl.models import build_encoder
from temporal_ssl.models.encoders import VideoEncoder
from temporal_ssl.registry import ENCODERS

TINY_INPUT = (2, 3, 4, 32, 32)
# C3D pools time three times (8 frames → 1); CaffeNet's poolings need frames of at least 39 pixels.
INPUTS = {"c3d": (2, 3, 8, 32, 32), "caffenet_2d": (2, 3, 2, 64, 64)}
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
    "c3d": (512, 1, 2, 2), "caffenet_2d": (256, 2, 1, 1), "slow_r50": (2048, 4, 1, 1),
    "r3d_50": (2048, 2, 1, 1),
}
# Encoders whose feature is an fc layer per frame (averaged over frames), not the mean of the map.
FC_FEATURES = {"caffenet_2d"}


@functools.cache
def built(name: str) -> torch.nn.Module:
    """One default-option build per encoder for the whole module (the ResNet-50s take seconds to build)."""
    torch.manual_seed(0)
    return build_encoder(name, SIZE_CAPS.get(name))


def test_every_registered_encoder_has_an_expected_map_shape() -> None:
    assert sorted(MAP_SHAPES) == ENCODERS.names()


@pytest.mark.parametrize("name", ENCODERS.names())
def test_encoder_contract_on_a_tiny_clip(name: str) -> None:
    encoder = built(name).train()
    encoder.zero_grad(set_to_none=True)
    assert isinstance(encoder, VideoEncoder)
    x = torch.randn(*INPUTS.get(name, TINY_INPUT))
    features = encoder(x)
    assert features.shape == (2, encoder.num_features)
    assert torch.isfinite(features).all()
    feature_map = encoder.forward_feature_map(x)
    assert feature_map.shape == (2, *MAP_SHAPES[name])
    encoder.eval()  # deterministic (dropout off) for the pooling identities below
    with torch.no_grad():
        if name in FC_FEATURES:  # the frame average of per-frame fc features
            frames = [encoder(x[:, :, t : t + 1]) for t in range(x.shape[2])]
            torch.testing.assert_close(encoder(x), torch.stack(frames).mean(dim=0), rtol=1e-4, atol=1e-5)
        else:  # the mean of the feature map
            pooled = encoder.forward_feature_map(x).mean(dim=(2, 3, 4))
            torch.testing.assert_close(encoder.forward_features(x), pooled, rtol=1e-4, atol=1e-5)
    encoder.train()
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
    feature_map = built(name).eval().forward_feature_map(torch.randn(1, 3, 16, 32, 32))
    assert feature_map.shape == (1, 128, 4, 2, 2)


@pytest.mark.parametrize("name", ["resnet2d_tiny", "resnet18_2d", "caffenet_2d"])
def test_frame_encoders_ignore_frame_order(name: str) -> None:
    encoder = built(name).eval()
    x = torch.randn(2, 3, 5, 48, 48)
    shuffled = x[:, :, torch.tensor([3, 0, 4, 1, 2])]
    with torch.no_grad():
        torch.testing.assert_close(encoder(shuffled), encoder(x), rtol=1e-4, atol=1e-5)
        # ... yet each frame's map is that frame's own encoding.
        torch.testing.assert_close(encoder.forward_feature_map(x)[:, :, 2],
                                   encoder.forward_feature_map(x[:, :, 2:3])[:, :, 0], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["r3d_tiny", "r2plus1d_tiny", "video_vit_tiny", "c3d", "r3d_50", "slow_r50"])
def test_video_encoders_see_frame_order(name: str) -> None:
    encoder = built(name).eval()
    x = torch.randn(2, 3, 8, 32, 32)
    with torch.no_grad():
        assert not torch.allclose(encoder(x.flip(2)), encoder(x), atol=1e-4)


def test_vcop_ten_layer_variants_have_one_block_per_stage() -> None:
    for name, blocks in [("r3d_10", 1), ("r2plus1d_10", 1), ("r3d_18", 2), ("r2plus1d_18", 2)]:
        net = built(name).net
        assert [len(stage) for stage in (net.layer1, net.layer2, net.layer3, net.layer4)] == [blocks] * 4
    assert built("r2plus1d_10").net.stem[0].kernel_size == (1, 7, 7)  # factorised stem
    assert built("r3d_10").net.stem[0].kernel_size == (3, 7, 7)


def test_vcop_r2plus1d_sizes_each_factorised_convolution_from_its_own_widths() -> None:
    net = built("r2plus1d_10").net
    # floor(t·k²·C_in·C_out / (k²·C_in + t·C_out)) for the 3×7×7 stem (3 → 64) and for the two convolutions
    # and the 1×1×1 shortcut of the first downsampling block (64 → 128, then 128 → 128).
    assert net.stem[0].out_channels == 3 * 49 * 3 * 64 // (49 * 3 + 3 * 64) == 83
    block = net.layer2[0]
    assert block.conv1[0][0].out_channels == 27 * 64 * 128 // (9 * 64 + 3 * 128) == 230
    assert block.conv2[0][0].out_channels == 27 * 128 * 128 // (9 * 128 + 3 * 128) == 288
    assert block.downsample[0][0].out_channels == 64 * 128 // (64 + 128) == 42
    # torchvision's R(2+1)D-18 keeps its own widths (one per block, a 45-wide stem).
    tv_net = built("r2plus1d_18").net
    assert tv_net.stem[0].out_channels == 45 and tv_net.layer2[0].conv2[0][0].out_channels == 230


def test_caffenet_has_the_reference_layers_and_options() -> None:
    encoder = built("caffenet_2d")
    assert [encoder.conv2.groups, encoder.conv4.groups, encoder.conv5.groups] == [2, 2, 2]
    assert encoder.conv1.kernel_size == (11, 11) and encoder.conv1.stride == (4, 4)
    assert encoder.fc7.out_features == 4096 and not hasattr(encoder, "conv3_bn")
    opn = build_encoder("caffenet_2d", {"output": "fc6", "batch_norm": True})
    assert not hasattr(opn, "fc7") and opn.conv3_bn.num_features == 384 and opn.fc6_bn.num_features == 4096
    with torch.no_grad():
        assert opn.eval()(torch.randn(1, 3, 1, 227, 227)).shape == (1, 4096)
        assert encoder.eval().forward_feature_map(torch.randn(1, 3, 1, 227, 227)).shape == (1, 256, 1, 6, 6)
    with pytest.raises(ValueError, match="at least 39×39 pixels"):
        encoder(torch.randn(1, 3, 1, 32, 32))


@pytest.mark.parametrize(("name", "stem_kernel", "time_steps"), [("slow_r50", 1, 8), ("r3d_50", 5, 8)])
def test_resnet50_stems_match_their_sampling(name: str, stem_kernel: int, time_steps: int) -> None:
    encoder = built(name).eval()
    assert encoder.stem[0].kernel_size == (stem_kernel, 7, 7)
    assert [len(stage) for stage in encoder.stages] == [3, 4, 6, 3]
    assert [stage[0].conv_a.kernel_size[0] for stage in encoder.stages] == [1, 1, 3, 3]
    frames = 8 if name == "slow_r50" else 16  # Slow 8×8; CVRL 16 frames, halved by the stem
    with torch.no_grad():
        feature_map = encoder.forward_feature_map(torch.randn(1, 3, frames, 64, 64))
    assert feature_map.shape == (1, 2048, time_steps, 2, 2)


@pytest.mark.parametrize("name", ["r3d_10", "r2plus1d_10", "resnet18_2d", "r3d_tiny", "resnet2d_tiny",
                                  "video_vit_tiny", "c3d"])
def test_in_channels_option_changes_the_input_layer(name: str) -> None:
    encoder = build_encoder(name, {"in_channels": 1})
    assert encoder(torch.randn(2, 1, 8, 48, 48)).shape == (2, encoder.num_features)
    with pytest.raises(ValueError, match=re.escape("channels in dimension 1 of [B, C, T, H, W]")):
        encoder(torch.randn(2, 3, 8, 48, 48))


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
