"""Position embeddings for a ``(T', H', W')`` token grid: fixed 3D sin-cos, and resizing of learned ones."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange


def sincos_1d(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer sinusoids for integer positions.

    Args:
        positions: ``[N]`` positions.
        dim: even embedding width.

    Returns:
        float ``[N, dim]``: ``sin(p·ω_i)`` in the first half, ``cos(p·ω_i)`` in the second,
        ``ω_i = 10000^(−2i/dim)``.
    """
    omega = torch.exp(-math.log(10000.0) * torch.arange(dim // 2, dtype=torch.float64) * 2 / dim)
    angles = positions.to(torch.float64)[:, None] * omega[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1).float()


def sincos_token_table(num_tokens: int, dim: int, device: torch.device | str | None = None) -> torch.Tensor:
    """VideoMAE's fixed table over the flattened token index: channel ``2i`` holds ``sin(p·ω_i)``, channel
    ``2i + 1`` holds ``cos(p·ω_i)`` (the channels of :func:`sincos_1d` interleaved).

    Returns:
        float ``[1, num_tokens, dim]``.
    """
    table = sincos_1d(torch.arange(num_tokens), dim)
    return rearrange(table, "n (two half) -> n (half two)", two=2).unsqueeze(0).to(device)


def sincos_3d(grid: tuple[int, int, int], dim: int, device: torch.device | str | None = None) -> torch.Tensor:
    """Separable sin-cos embedding of a token grid: time, height and width each get a slice of the width.

    Height and width get ``dim // 3`` rounded down to an even number each, time the rest.

    Args:
        grid: ``(T', H', W')``.
        dim: even token width ``D``.
        device: where to build it.

    Returns:
        float ``[1, T'·H'·W', D]`` in ``(t h w)`` token order.
    """
    if dim % 2:
        raise ValueError(f"sin-cos position embedding needs an even embed_dim, got {dim}; "
                         "use pos_embed='learnable'")
    spatial = (dim // 3) // 2 * 2
    widths = (dim - 2 * spatial, spatial, spatial)
    t, h, w = grid
    coords = torch.stack(torch.meshgrid(torch.arange(t), torch.arange(h), torch.arange(w), indexing="ij"))
    coords = rearrange(coords, "k t h w -> k (t h w)")
    parts = [sincos_1d(coords[axis], width) for axis, width in enumerate(widths)]
    return torch.cat(parts, dim=1).unsqueeze(0).to(device)


def resize_pos_embed(pos_embed: torch.Tensor, old_grid: tuple[int, int, int],
                     new_grid: tuple[int, int, int]) -> torch.Tensor:
    """Trilinearly resample a learned ``[1, T'·H'·W', D]`` embedding from ``old_grid`` to ``new_grid``."""
    if old_grid == new_grid:
        return pos_embed
    volume = rearrange(pos_embed, "1 (t h w) d -> 1 d t h w", t=old_grid[0], h=old_grid[1], w=old_grid[2])
    volume = F.interpolate(volume, size=new_grid, mode="trilinear", align_corners=False)
    return rearrange(volume, "1 d t h w -> 1 (t h w) d")
