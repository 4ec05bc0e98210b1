"""C3D as VCOP trains it: eight 3×3×3 convolutions, batch norm after each, global average pooling.

Tran et al., "Learning Spatiotemporal Features with 3D Convolutional Networks", ICCV 2015, with the two
changes Xu et al. (VCOP, CVPR 2019) made: batch norm after every convolution, and ``pool5`` replaced by a
global average pool (so any clip size works and the feature is 512-d; the fc6/fc7 layers are gone). Layer
names follow the paper (``conv1``, ``conv2``, ``conv3a`` ... ``conv5b``). Pooling: 1×2×2 after conv1,
2×2×2 after conv2, conv3b and conv4b, so a ``16×112×112`` clip ends as a ``[512, 2, 7, 7]`` map.
"""

from __future__ import annotations

import torch
from torch import nn

from temporal_ssl.models.encoders.contract import MeanPooledEncoder, check_video_input
from temporal_ssl.registry import ENCODERS

# (name, output channels, pooling after it: None, "spatial" 1×2×2 or "full" 2×2×2)
_LAYERS = (
    ("1", 64, "spatial"), ("2", 128, "full"),
    ("3a", 256, None), ("3b", 256, "full"),
    ("4a", 512, None), ("4b", 512, "full"),
    ("5a", 512, None), ("5b", 512, None),
)


class C3DEncoder(MeanPooledEncoder):
    """C3D with batch norm and global average pooling (VCOP's variant), ``[B, C, T, H, W] → [B, 512]``.

    Args:
        in_channels: input channels.
    """

    def __init__(self, *, in_channels: int = 3) -> None:
        super().__init__()
        channels = in_channels
        for name, width, _ in _LAYERS:
            self.add_module(f"conv{name}", nn.Conv3d(channels, width, kernel_size=3, padding=1))
            self.add_module(f"bn{name}", nn.BatchNorm3d(width))
            channels = width
        self.relu = nn.ReLU(inplace=True)
        self.pool_spatial = nn.MaxPool3d(kernel_size=(1, 2, 2), stride=(1, 2, 2))
        self.pool_full = nn.MaxPool3d(kernel_size=2, stride=2)
        self.in_channels = in_channels
        self.num_features = 512

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 512, T/8, H/16, W/16]``: the conv5b map (sizes rounded down at each pooling)."""
        check_video_input(x, self.in_channels, encoder="c3d")
        for name, _, pool in _LAYERS:
            x = self.relu(getattr(self, f"bn{name}")(getattr(self, f"conv{name}")(x)))
            if pool == "spatial":
                x = self.pool_spatial(x)
            elif pool == "full":
                x = self.pool_full(x)
        return x


@ENCODERS.register("c3d")
def c3d(*, in_channels: int = 3) -> C3DEncoder:
    """VCOP's C3D (batch norm, global average pool): ``[B, C, T, H, W] → [B, 512]``."""
    return C3DEncoder(in_channels=in_channels)
