"""3D ResNets for video: R3D and R(2+1)D at 18 layers (torchvision) and the 10-layer variants VCOP trains.

Tran et al., "A Closer Look at Spatiotemporal Convolutions for Action Recognition", CVPR 2018. The networks
are torchvision's ``VideoResNet`` built without weights; this module only wraps them in the encoder contract.
The VCOP "R3D" and "R(2+1)D" have one residual block per stage (``layer_sizes=(1, 1, 1, 1)`` in
``xudejing/video-clip-order-prediction``), hence ``r3d_10`` and ``r2plus1d_10``. VCOP's R3D is torchvision's
layout; its R(2+1)D sizes the middle of every factorised convolution from that convolution's own input and
output widths (torchvision reuses one width for both convolutions of a block and gives the stem 45), and
factorises the 1×1×1 shortcut and the 3×7×7 stem the same way (``factorisation="vcop"``).

Both stems keep the temporal resolution; stages 2-4 halve T, H and W, so a ``16×112×112`` clip ends as a
``[512, 2, 7, 7]`` map.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import torch
from torch import nn
from torchvision.models.video import resnet as tv

from temporal_ssl.models.encoders.contract import MeanPooledEncoder, check_video_input
from temporal_ssl.models.layers.conv_blocks import conv_with_in_channels, factorised_conv
from temporal_ssl.registry import ENCODERS

_CONV = {"3d": (tv.Conv3DSimple, tv.BasicStem), "2plus1d": (tv.Conv2Plus1D, tv.R2Plus1dStem)}


class VideoResNetEncoder(MeanPooledEncoder):
    """A torchvision ``VideoResNet`` with BasicBlocks, classifier removed.

    Args:
        conv: ``"3d"`` (R3D: 3×3×3 convolutions) or ``"2plus1d"`` (R(2+1)D: 1×3×3 then 3×1×1).
        layers: residual blocks per stage, e.g. ``(2, 2, 2, 2)`` for 18 layers, ``(1, 1, 1, 1)`` for 10.
        in_channels: input channels (the stem's first convolution is rebuilt when not 3).
        zero_init_residual: start every residual branch at zero (last BN weight 0).
        factorisation: ``"torchvision"`` or ``"vcop"`` widths of the (2+1)D convolutions (module docstring).
    """

    def __init__(self, *, conv: Literal["3d", "2plus1d"], layers: Sequence[int], in_channels: int = 3,
                 zero_init_residual: bool = False,
                 factorisation: Literal["torchvision", "vcop"] = "torchvision") -> None:
        super().__init__()
        if conv not in _CONV:
            raise ValueError(f"conv='{conv}' is not supported; choose '3d' or '2plus1d'")
        if len(layers) != 4 or min(layers) < 1:
            raise ValueError(f"layers must list 4 positive block counts (one per stage), got {list(layers)}")
        conv_maker, stem = _CONV[conv]
        net = tv.VideoResNet(tv.BasicBlock, [conv_maker] * 4, list(layers), stem,
                             zero_init_residual=zero_init_residual)
        net.stem[0] = conv_with_in_channels(net.stem[0], in_channels)
        if factorisation == "vcop" and conv == "2plus1d":
            _refactorise_like_vcop(net, in_channels)
        elif factorisation != "torchvision":
            raise ValueError(f"factorisation='{factorisation}' is not supported with conv='{conv}'; "
                             "'vcop' applies to conv='2plus1d' only")
        # The classifier is never used; removing it keeps DDP from waiting for gradients that never come.
        net.fc = nn.Identity()
        self.net = net
        self.name = f"{'r3d' if conv == '3d' else 'r2plus1d'}_{2 + 2 * sum(layers)}"
        self.in_channels = in_channels
        self.num_features = 512

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 512, T', H', W']`` output of the last stage (T', H', W' = ceil of T/8, H/16, W/16)."""
        check_video_input(x, self.in_channels, encoder=self.name)
        x = self.net.stem(x)
        for stage in (self.net.layer1, self.net.layer2, self.net.layer3, self.net.layer4):
            x = stage(x)
        return x


def _refactorise_like_vcop(net: tv.VideoResNet, in_channels: int) -> None:
    """Rebuild every factorised convolution of ``net`` with VCOP's widths (one per convolution)."""
    stem = factorised_conv(in_channels, 64, (3, 7, 7), stride=1, spatial_stride=2)
    net.stem = nn.Sequential(*stem, nn.BatchNorm3d(64), nn.ReLU(inplace=True))
    for stage in (net.layer1, net.layer2, net.layer3, net.layer4):
        for block in stage:
            inplanes, planes = block.conv1[0][0].in_channels, block.conv2[0][3].out_channels
            block.conv1[0] = factorised_conv(inplanes, planes, (3, 3, 3), stride=block.stride)
            block.conv2[0] = factorised_conv(planes, planes, (3, 3, 3))
            if block.downsample is not None:
                block.downsample[0] = factorised_conv(inplanes, planes, (1, 1, 1), stride=block.stride)
    for module in net.modules():  # torchvision's initialisation, for the rebuilt convolutions
        if isinstance(module, nn.Conv3d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")


@ENCODERS.register("r3d_18")
def r3d_18(*, in_channels: int = 3, zero_init_residual: bool = False) -> VideoResNetEncoder:
    """R3D-18 (torchvision ``r3d_18`` without weights): ``[B, C, T, H, W] → [B, 512]``."""
    return VideoResNetEncoder(conv="3d", layers=(2, 2, 2, 2), in_channels=in_channels,
                              zero_init_residual=zero_init_residual)


@ENCODERS.register("r2plus1d_18")
def r2plus1d_18(*, in_channels: int = 3, zero_init_residual: bool = False) -> VideoResNetEncoder:
    """R(2+1)D-18 (torchvision ``r2plus1d_18`` without weights): ``[B, C, T, H, W] → [B, 512]``."""
    return VideoResNetEncoder(conv="2plus1d", layers=(2, 2, 2, 2), in_channels=in_channels,
                              zero_init_residual=zero_init_residual)


@ENCODERS.register("r3d_10")
def r3d_10(*, in_channels: int = 3, zero_init_residual: bool = False) -> VideoResNetEncoder:
    """VCOP's R3D: one BasicBlock per stage (10 layers), ``[B, C, T, H, W] → [B, 512]``."""
    return VideoResNetEncoder(conv="3d", layers=(1, 1, 1, 1), in_channels=in_channels,
                              zero_init_residual=zero_init_residual)


@ENCODERS.register("r2plus1d_10")
def r2plus1d_10(*, in_channels: int = 3, zero_init_residual: bool = False) -> VideoResNetEncoder:
    """VCOP's R(2+1)D: one BasicBlock per stage (10 layers), VCOP's factorisation widths,
    ``[B, C, T, H, W] → [B, 512]``."""
    return VideoResNetEncoder(conv="2plus1d", layers=(1, 1, 1, 1), in_channels=in_channels,
                              zero_init_residual=zero_init_residual, factorisation="vcop")
