"""A 2D ResNet-18 applied to every frame: the frame encoder of frame-level pretexts (S&L, OPN, TCN frames).

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016 — torchvision's ``resnet18`` built
without weights. Frames are folded into the batch, encoded independently, and unfolded again, so the feature
map keeps the time axis (``[B, 512, T, H/32, W/32]``) and the pooled feature is the average over frames and
space.
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn
from torchvision.models import resnet18

from temporal_ssl.models.encoders.contract import MeanPooledEncoder, check_video_input
from temporal_ssl.models.layers.conv_blocks import conv_with_in_channels
from temporal_ssl.registry import ENCODERS


class FrameResNetEncoder(MeanPooledEncoder):
    """torchvision ResNet-18 (no classifier) run on each frame of a clip.

    Args:
        in_channels: input channels (the first convolution is rebuilt when not 3).
        zero_init_residual: start every residual branch at zero.
    """

    def __init__(self, *, in_channels: int = 3, zero_init_residual: bool = False) -> None:
        super().__init__()
        net = resnet18(weights=None, zero_init_residual=zero_init_residual)
        net.conv1 = conv_with_in_channels(net.conv1, in_channels)
        net.fc = nn.Identity()  # unused: features are pooled here; keeps DDP free of unused parameters
        self.net = net
        self.in_channels = in_channels
        self.num_features = 512

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, 512, T, H', W']``: every frame's last-stage map, stacked along time."""
        check_video_input(x, self.in_channels, encoder="resnet18_2d")
        batch = x.shape[0]
        frames = rearrange(x, "b c t h w -> (b t) c h w")
        net = self.net
        y = net.maxpool(net.relu(net.bn1(net.conv1(frames))))
        y = net.layer4(net.layer3(net.layer2(net.layer1(y))))
        return rearrange(y, "(b t) d h w -> b d t h w", b=batch)


@ENCODERS.register("resnet18_2d")
def resnet18_2d(*, in_channels: int = 3, zero_init_residual: bool = False) -> FrameResNetEncoder:
    """2D ResNet-18 per frame: ``[B, C, T, H, W] → [B, 512]``, map ``[B, 512, T, H/32, W/32]``."""
    return FrameResNetEncoder(in_channels=in_channels, zero_init_residual=zero_init_residual)
