"""The contract every encoder keeps, so pretraining and every evaluation protocol can swap backbones.

An encoder is an ``nn.Module`` that maps a float clip batch ``[B, C, T, H, W]`` to

* ``forward_features(x) -> [B, D]``: globally pooled features (``forward`` is the same);
* ``forward_feature_map(x) -> [B, D, T', H', W']``: the last block's map before pooling (retrieval as in VCOP,
  probes that keep the time axis);

and declares ``num_features`` (``D``) and ``in_channels`` (``C``). Frame encoders see every frame separately
and keep ``T' = T``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import nn


@runtime_checkable
class VideoEncoder(Protocol):
    """Structural type of an encoder (see the module docstring)."""

    num_features: int
    in_channels: int

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled features ``[B, D]`` of ``x`` ``[B, C, T, H, W]``."""
        ...

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """Feature map ``[B, D, T', H', W']`` of ``x`` ``[B, C, T, H, W]``."""
        ...


def check_video_input(x: torch.Tensor, in_channels: int, *, encoder: str) -> None:
    """Raise a ``ValueError`` that names the encoder unless ``x`` is a float ``[B, in_channels, T, H, W]``."""
    if x.ndim != 5:
        raise ValueError(
            f"encoder '{encoder}' expects a float clip batch [B, C, T, H, W], got shape {tuple(x.shape)}; "
            "a single frame is a clip with T=1"
        )
    if x.shape[1] != in_channels:
        raise ValueError(
            f"encoder '{encoder}' expects {in_channels} channels in dimension 1 of [B, C, T, H, W], got "
            f"shape {tuple(x.shape)}; if the layout is [B, T, C, H, W], permute it, else set in_channels"
        )
    if not x.is_floating_point():
        raise ValueError(f"encoder '{encoder}' expects a float tensor, got {x.dtype}; convert and normalise "
                         "first")


class MeanPooledEncoder(nn.Module):
    """Base of the encoders whose feature is the global average of their feature map; a subclass defines
    :meth:`forward_feature_map` and sets ``num_features`` and ``in_channels``."""

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """Feature map ``[B, D, T', H', W']`` of ``x`` ``[B, C, T, H, W]``."""
        raise NotImplementedError

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Globally average-pooled ``[B, D]`` features (over time and space)."""
        return self.forward_feature_map(x).mean(dim=(2, 3, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`forward_features`."""
        return self.forward_features(x)
