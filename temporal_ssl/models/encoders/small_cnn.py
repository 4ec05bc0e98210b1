"""Small plain CNNs for CPU runs: ``r3d_tiny``, ``r2plus1d_tiny`` and the per-frame ``resnet2d_tiny``.

The CPU-sized stand-ins for R3D, R(2+1)D and the 2D frame encoder: a stack of ``conv → BN → ReLU`` units
(no residual connections; a 4-layer 16-32-64-128 stack trains quickly on one CPU core). Defaults are sized
for the synthetic corpus's 16 frames of 32×32: the temporal strides ``(1, 2, 2, 1)`` keep ``T' = 4`` time
steps at ``T = 16`` so that a probe keeping the time axis is possible, and the spatial strides
``(2, 2, 2, 2)`` leave a 2×2 map. Depth is the length of ``widths``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from temporal_ssl.models.encoders.contract import MeanPooledEncoder, check_video_input
from temporal_ssl.models.layers.conv_blocks import ConvKind, conv_unit
from temporal_ssl.registry import ENCODERS


class SmallVideoCNN(MeanPooledEncoder):
    """``len(widths)`` conv units of one kind, then global average pooling.

    Args:
        conv: ``"3d"``, ``"2plus1d"`` or ``"2d"`` (per frame; every temporal stride must be 1).
        widths: output channels of each unit; the last is ``num_features``.
        temporal_strides, spatial_strides: stride of each unit along T and along H, W.
        in_channels: input channels.
        name: registry name, for error messages.
    """

    def __init__(self, *, conv: ConvKind, widths: Sequence[int], temporal_strides: Sequence[int],
                 spatial_strides: Sequence[int], in_channels: int = 3, name: str = "small_cnn") -> None:
        super().__init__()
        if not widths or len(temporal_strides) != len(widths) or len(spatial_strides) != len(widths):
            raise ValueError(
                f"encoder '{name}': widths {list(widths)}, temporal_strides {list(temporal_strides)} and "
                f"spatial_strides {list(spatial_strides)} must be non-empty lists of the same length"
            )
        if min(widths) < 1 or min(temporal_strides) < 1 or min(spatial_strides) < 1:
            raise ValueError(f"encoder '{name}': widths and strides must be positive")
        channels = [in_channels, *widths]
        self.units = nn.Sequential(*(
            conv_unit(conv, channels[i], channels[i + 1], temporal_stride=temporal_strides[i],
                      spatial_stride=spatial_strides[i])
            for i in range(len(widths))
        ))
        self.name = name
        self.in_channels = in_channels
        self.num_features = int(widths[-1])

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, widths[-1], T', H', W']`` output of the last unit."""
        check_video_input(x, self.in_channels, encoder=self.name)
        return self.units(x)


@ENCODERS.register("r3d_tiny")
def r3d_tiny(*, widths: Sequence[int] = (16, 32, 64, 128), temporal_strides: Sequence[int] = (1, 2, 2, 1),
             spatial_strides: Sequence[int] = (2, 2, 2, 2), in_channels: int = 3) -> SmallVideoCNN:
    """4 units of 3×3×3 convolutions (16-32-64-128).

    ``[B, 3, 16, 32, 32] → [B, 128]``, feature map ``[B, 128, 4, 2, 2]``.
    """
    return SmallVideoCNN(conv="3d", widths=widths, temporal_strides=temporal_strides,
                         spatial_strides=spatial_strides, in_channels=in_channels, name="r3d_tiny")


@ENCODERS.register("r2plus1d_tiny")
def r2plus1d_tiny(*, widths: Sequence[int] = (16, 32, 64, 128),
                  temporal_strides: Sequence[int] = (1, 2, 2, 1),
                  spatial_strides: Sequence[int] = (2, 2, 2, 2), in_channels: int = 3) -> SmallVideoCNN:
    """4 units of factorised (1×3×3 then 3×1×1) convolutions, same shapes as ``r3d_tiny``."""
    return SmallVideoCNN(conv="2plus1d", widths=widths, temporal_strides=temporal_strides,
                         spatial_strides=spatial_strides, in_channels=in_channels, name="r2plus1d_tiny")


@ENCODERS.register("resnet2d_tiny")
def resnet2d_tiny(*, widths: Sequence[int] = (16, 32, 64, 128), spatial_strides: Sequence[int] = (2, 2, 2, 2),
                  in_channels: int = 3) -> SmallVideoCNN:
    """The per-frame 2D counterpart (1×3×3 convolutions, no temporal mixing): the map keeps ``T' = T``.

    Features are averaged over frames, so the pooled output cannot depend on frame order — the "single-frame
    model" control of the synthetic corpus, and the frame encoder of frame-level pretexts on CPU.
    """
    return SmallVideoCNN(conv="2d", widths=widths, temporal_strides=(1,) * len(widths),
                         spatial_strides=spatial_strides, in_channels=in_channels, name="resnet2d_tiny")
