"""Tubelet embedding: cut a clip into non-overlapping ``t × p × p`` cubes and project each to a token."""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn


class TubeletEmbed(nn.Module):
    """A strided ``Conv3d`` whose kernel equals its stride (ViViT "tubelet", VideoMAE "cube" embedding).

    Args:
        in_channels: input channels ``C``.
        embed_dim: token width ``D``.
        tubelet_size: ``(t, p_h, p_w)`` cube size in frames and pixels (VideoMAE: ``(2, 16, 16)``).
    """

    def __init__(self, in_channels: int, embed_dim: int, tubelet_size: tuple[int, int, int]) -> None:
        super().__init__()
        self.tubelet_size = (int(tubelet_size[0]), int(tubelet_size[1]), int(tubelet_size[2]))
        self.proj = nn.Conv3d(in_channels, embed_dim, kernel_size=self.tubelet_size, stride=self.tubelet_size)

    def grid(self, num_frames: int, height: int, width: int) -> tuple[int, int, int]:
        """The token grid ``(T', H', W')`` of an input, or a ``ValueError`` when a size does not divide."""
        sizes = (num_frames, height, width)
        for name, size, cube in zip(("frames", "height", "width"), sizes, self.tubelet_size, strict=True):
            if size % cube:
                raise ValueError(
                    f"input {name} {size} is not a multiple of the tubelet size {self.tubelet_size} "
                    f"(frames, height, width); resize the clip or change the encoder's tubelet_size"
                )
        t, h, w = (s // c for s, c in zip(sizes, self.tubelet_size, strict=True))
        return t, h, w

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int, int]]:
        """Tokens and their grid.

        Args:
            x: float ``[B, C, T, H, W]``.

        Returns:
            ``[B, T'·H'·W', D]`` tokens in ``(t h w)`` order, and ``(T', H', W')``.
        """
        grid = self.grid(*x.shape[2:])
        return rearrange(self.proj(x), "b d t h w -> b (t h w) d"), grid
