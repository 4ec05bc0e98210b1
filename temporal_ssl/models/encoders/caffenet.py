"""CaffeNet, the AlexNet variant of Shuffle & Learn and OPN, applied to every frame of a clip.

Krizhevsky et al., NeurIPS 2012, as the BVLC "reference CaffeNet" arranges it: five convolutions (conv2, conv4
and conv5 in two groups, as on the original two GPUs), local response normalisation after the first two
poolings, then fc6 and fc7 (4096 each, ReLU, dropout). Pooling rounds up as Caffe does, and an adaptive
average pool before fc6 gives its 6×6 input at any frame size (at the papers' 227×227 it is the identity).
Shuffle & Learn (Misra et al., ECCV 2016) adds batch norm after conv3 … fc7 (``batch_norm=True``) and
concatenates fc7 features of its three frames; OPN (Lee et al., ICCV 2017) pairs fc6 features
(``output="fc6"``).

Frames are folded into the batch like ``resnet18_2d``: the feature map is every frame's pool5 map
``[B, 256, T, h, w]`` and the feature is the frame average of the fc output, ``[B, 4096]``.
"""

from __future__ import annotations

from typing import Literal

import torch
from einops import rearrange
from torch import nn

from temporal_ssl.models.encoders.contract import check_video_input
from temporal_ssl.registry import ENCODERS

# (name, out channels, kernel, stride, padding, groups)
_CONVS = (
    ("conv1", 96, 11, 4, 0, 1),
    ("conv2", 256, 5, 1, 2, 2),
    ("conv3", 384, 3, 1, 1, 1),
    ("conv4", 384, 3, 1, 1, 2),
    ("conv5", 256, 3, 1, 1, 2),
)
_NORMED = ("conv3", "conv4", "conv5", "fc6", "fc7")  # where Shuffle & Learn puts batch norm
MIN_FRAME_SIZE = 39  # the smallest side every pooling still fits (the papers crop 227)


class CaffeNetFrameEncoder(nn.Module):
    """CaffeNet conv1 … fc7 (or … fc6) on each frame; no classifier.

    Args:
        in_channels: input channels.
        output: ``"fc7"`` (Shuffle & Learn) or ``"fc6"`` (OPN) — the last layer kept and the feature width.
        batch_norm: batch norm after conv3, conv4, conv5, fc6 and fc7 (Shuffle & Learn's training network).
        dropout: dropout after each fc layer.
    """

    def __init__(self, *, in_channels: int = 3, output: Literal["fc6", "fc7"] = "fc7",
                 batch_norm: bool = False, dropout: float = 0.5) -> None:
        super().__init__()
        if output not in ("fc6", "fc7"):
            raise ValueError(f"caffenet_2d output='{output}' is not supported; choose 'fc6' or 'fc7'")
        channels = in_channels
        for name, width, kernel, stride, padding, groups in _CONVS:
            self.add_module(name, nn.Conv2d(channels, width, kernel, stride=stride, padding=padding,
                                            groups=groups))
            if batch_norm and name in _NORMED:
                self.add_module(f"{name}_bn", nn.BatchNorm2d(width))
            channels = width
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)
        self.lrn = nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=1.0)
        self.to_fc_grid = nn.AdaptiveAvgPool2d((6, 6))
        self.fc_names = ("fc6",) if output == "fc6" else ("fc6", "fc7")
        width = 256 * 6 * 6
        for name in self.fc_names:
            self.add_module(name, nn.Linear(width, 4096))
            if batch_norm:
                self.add_module(f"{name}_bn", nn.BatchNorm1d(4096))
            width = 4096
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.in_channels = in_channels
        self.num_features = 4096

    def _unit(self, name: str, x: torch.Tensor) -> torch.Tensor:
        x = getattr(self, name)(x)
        norm = getattr(self, f"{name}_bn", None)
        return self.relu(x if norm is None else norm(x))

    def _pool5(self, frames: torch.Tensor) -> torch.Tensor:
        if min(frames.shape[-2:]) < MIN_FRAME_SIZE:
            raise ValueError(f"encoder 'caffenet_2d' needs frames of at least "
                             f"{MIN_FRAME_SIZE}×{MIN_FRAME_SIZE} pixels, got {tuple(frames.shape[-2:])}; "
                             "crop larger (the papers use 227)")
        x = self.lrn(self.pool(self._unit("conv1", frames)))
        x = self.lrn(self.pool(self._unit("conv2", x)))
        x = self._unit("conv5", self._unit("conv4", self._unit("conv3", x)))
        return self.pool(x)

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 256, T, h, w]``: every frame's pool5 map (``h = w = 6`` at 227×227)."""
        check_video_input(x, self.in_channels, encoder="caffenet_2d")
        maps = self._pool5(rearrange(x, "b c t h w -> (b t) c h w"))
        return rearrange(maps, "(b t) d h w -> b d t h w", b=x.shape[0])

    def forward_frames(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, T, 4096]``: the fc output of every frame."""
        check_video_input(x, self.in_channels, encoder="caffenet_2d")
        y = self.to_fc_grid(self._pool5(rearrange(x, "b c t h w -> (b t) c h w"))).flatten(1)
        for name in self.fc_names:
            y = self.dropout(self._unit(name, y))
        return rearrange(y, "(b t) d -> b t d", b=x.shape[0])

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 4096]``: the fc output averaged over frames (a single frame: that frame's feature)."""
        return self.forward_frames(x).mean(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`forward_features`."""
        return self.forward_features(x)


@ENCODERS.register("caffenet_2d")
def caffenet_2d(*, in_channels: int = 3, output: Literal["fc6", "fc7"] = "fc7", batch_norm: bool = False,
                dropout: float = 0.5) -> CaffeNetFrameEncoder:
    """CaffeNet per frame (Shuffle & Learn / OPN): ``[B, C, T, H, W] → [B, 4096]``, map
    ``[B, 256, T, h, w]``."""
    return CaffeNetFrameEncoder(in_channels=in_channels, output=output, batch_norm=batch_norm,
                                dropout=dropout)
