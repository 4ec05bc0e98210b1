"""3D ResNet-50 with bottleneck blocks: Slow-R50 (ρ-MoCo/ρ-BYOL, PySlowFast) and CVRL's R3D-50.

Feichtenhofer et al., "SlowFast Networks for Video Recognition", ICCV 2019 (the Slow pathway alone,
"Slow-only"), and Qian et al., "Spatiotemporal Contrastive Video Representation Learning", CVPR 2021.
Both are a ResNet-50 (3, 4, 6, 3 bottleneck blocks, widths 256-512-1024-2048) whose first 1×1 convolution of
each block becomes ``k×1×1`` in time: ``k = 1`` in res2/res3 and ``k = 3`` in res4/res5, so the early
stages see each frame alone. They differ in the stem only:

* ``slow_r50``: a ``1×7×7`` stem that keeps every input frame (8 frames sampled 8 apart: "8×8");
* ``r3d_50``: a ``5×7×7`` stem with temporal stride 2 (16 frames sampled 2 apart → 8 time steps).

Spatial downsampling is in the 3×3 convolution of the first block of res3-res5 ("ResNet v1.5") and the stem's
stride-2 convolution and 1×3×3 max pool; time is never pooled after the stem, so the map is
``[2048, T/s, H/32, W/32]`` (``s`` the stem's temporal stride).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from temporal_ssl.models.encoders.contract import MeanPooledEncoder, check_video_input
from temporal_ssl.registry import ENCODERS

_DEPTHS = {50: (3, 4, 6, 3)}


class Bottleneck3d(nn.Module):
    """``kt×1×1 → 1×3×3 (spatial stride) → 1×1×1`` with BN and ReLU, plus a projection shortcut when needed.

    Args:
        in_channels, inner, out_channels: widths of the input, of the two inner convolutions, of the output.
        temporal_kernel: ``kt`` of the first convolution.
        stride: spatial stride of the 3×3 convolution (and of the shortcut).
    """

    def __init__(self, in_channels: int, inner: int, out_channels: int, *, temporal_kernel: int,
                 stride: int) -> None:
        super().__init__()
        self.conv_a = nn.Conv3d(in_channels, inner, (temporal_kernel, 1, 1),
                                padding=(temporal_kernel // 2, 0, 0), bias=False)
        self.bn_a = nn.BatchNorm3d(inner)
        self.conv_b = nn.Conv3d(inner, inner, (1, 3, 3), stride=(1, stride, stride), padding=(0, 1, 1),
                                bias=False)
        self.bn_b = nn.BatchNorm3d(inner)
        self.conv_c = nn.Conv3d(inner, out_channels, 1, bias=False)
        self.bn_c = nn.BatchNorm3d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut: nn.Sequential | None = None
        if in_channels != out_channels or stride != 1:
            self.shortcut = nn.Sequential(
                nn.Conv3d(in_channels, out_channels, 1, stride=(1, stride, stride), bias=False),
                nn.BatchNorm3d(out_channels),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float ``[B, C, T, H, W]``."""
        y = self.relu(self.bn_a(self.conv_a(x)))
        y = self.relu(self.bn_b(self.conv_b(y)))
        y = self.bn_c(self.conv_c(y))
        return self.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class BottleneckResNet3d(MeanPooledEncoder):
    """A bottleneck 3D ResNet without classifier: ``[B, C, T, H, W] → [B, 2048]``.

    Args:
        depth: 50 (blocks per stage 3, 4, 6, 3).
        stem_temporal_kernel, stem_temporal_stride: the stem convolution's extent and stride in time.
        stage_temporal_kernels: ``kt`` of the first convolution of every block, per stage (res2 … res5).
        in_channels: input channels.
        zero_init_residual: start every residual branch at zero (last BN weight 0), as PySlowFast's
            contrastive configs do.
        name: registry name, for error messages.
    """

    def __init__(self, *, depth: int = 50, stem_temporal_kernel: int = 1, stem_temporal_stride: int = 1,
                 stage_temporal_kernels: Sequence[int] = (1, 1, 3, 3), in_channels: int = 3,
                 zero_init_residual: bool = False, name: str = "bottleneck_resnet") -> None:
        super().__init__()
        if depth not in _DEPTHS:
            raise ValueError(f"encoder '{name}': depth {depth} is not supported; choose one of "
                             f"{sorted(_DEPTHS)}")
        if len(stage_temporal_kernels) != 4 or any(k < 1 or k % 2 == 0 for k in stage_temporal_kernels):
            raise ValueError(f"encoder '{name}': stage_temporal_kernels must list 4 odd kernel sizes, got "
                             f"{list(stage_temporal_kernels)}")
        self.stem = nn.Sequential(
            nn.Conv3d(in_channels, 64, (stem_temporal_kernel, 7, 7), stride=(stem_temporal_stride, 2, 2),
                      padding=(stem_temporal_kernel // 2, 3, 3), bias=False),
            nn.BatchNorm3d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool3d((1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1)),
        )
        stages = []
        width = 64
        for index, (blocks, kernel) in enumerate(zip(_DEPTHS[depth], stage_temporal_kernels, strict=True)):
            inner = 64 * 2 ** index
            stages.append(nn.Sequential(*(
                Bottleneck3d(width if block == 0 else inner * 4, inner, inner * 4, temporal_kernel=kernel,
                             stride=2 if block == 0 and index > 0 else 1)
                for block in range(blocks)
            )))
            width = inner * 4
        self.stages = nn.ModuleList(stages)
        for module in self.modules():
            if isinstance(module, nn.Conv3d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, Bottleneck3d):
                    nn.init.zeros_(module.bn_c.weight)
        self.name = name
        self.in_channels = in_channels
        self.num_features = width

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 2048, T', H/32, W/32]`` output of res5 (``T'`` = T over the stem's temporal stride)."""
        check_video_input(x, self.in_channels, encoder=self.name)
        x = self.stem(x)
        for stage in self.stages:
            x = stage(x)
        return x


@ENCODERS.register("slow_r50")
def slow_r50(*, in_channels: int = 3, zero_init_residual: bool = False) -> BottleneckResNet3d:
    """Slow-R50 (PySlowFast / pytorchvideo ``slow_r50``): 1×7×7 stem, ``[B, C, T, H, W] → [B, 2048]``."""
    return BottleneckResNet3d(stem_temporal_kernel=1, stem_temporal_stride=1, in_channels=in_channels,
                              zero_init_residual=zero_init_residual, name="slow_r50")


@ENCODERS.register("r3d_50")
def r3d_50(*, in_channels: int = 3, zero_init_residual: bool = False) -> BottleneckResNet3d:
    """CVRL's R3D-50: 5×7×7 stem with temporal stride 2, ``[B, C, T, H, W] → [B, 2048]``."""
    return BottleneckResNet3d(stem_temporal_kernel=5, stem_temporal_stride=2, in_channels=in_channels,
                              zero_init_residual=zero_init_residual, name="r3d_50")
