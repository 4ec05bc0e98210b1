"""A pre-norm transformer block over video tokens with joint or divided (time, then space) attention.

Joint attention (ViViT model 1, VideoMAE) lets every token attend to every other token of the clip. Divided
attention (TimeSformer "T+S") first attends along time between tokens at the same spatial position, then along
space between tokens of the same frame; a CLS token, when present, skips the temporal step and joins every
frame's spatial attention, its per-frame results averaged (as in TimeSformer). Token order is ``(t h w)``.
"""

from __future__ import annotations

from typing import Literal

import torch
from einops import rearrange, reduce, repeat
from torch import nn
from torchvision.ops import StochasticDepth

from temporal_ssl.models.layers.attention import Attention, Mlp

AttentionKind = Literal["joint", "divided"]


class SpaceTimeBlock(nn.Module):
    """``x + attention(norm(x))`` then ``x + mlp(norm(x))``, with stochastic depth on both branches.

    Args:
        dim: token width ``D``.
        num_heads: attention heads.
        attention: ``"joint"`` space-time attention or ``"divided"`` (time, then space).
        mlp_ratio: hidden width of the MLP relative to ``dim``.
        qkv_bias: bias on the query/key/value projections.
        drop_path: probability of dropping a residual branch per sample (stochastic depth).
        norm_eps: epsilon of the LayerNorms (VideoMAE: 1e-6).
    """

    def __init__(self, dim: int, num_heads: int, *, attention: AttentionKind = "joint",
                 mlp_ratio: float = 4.0, qkv_bias: bool = True, drop_path: float = 0.0,
                 norm_eps: float = 1e-5) -> None:
        super().__init__()
        if attention not in ("joint", "divided"):
            raise ValueError(f"attention='{attention}' is not supported; choose 'joint' or 'divided'")
        self.attention = attention
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(dim, num_heads, qkv_bias=qkv_bias)
        if attention == "divided":
            self.norm_time = nn.LayerNorm(dim, eps=norm_eps)
            self.attn_time = Attention(dim, num_heads, qkv_bias=qkv_bias)
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        self.mlp = Mlp(dim, mlp_ratio)
        self.drop_path = StochasticDepth(drop_path, mode="row")

    def forward(self, x: torch.Tensor, grid: tuple[int, int, int], *, has_cls: bool) -> torch.Tensor:
        """Run the block.

        Args:
            x: float ``[B, N, D]``; ``N = (1 if has_cls) + T'·H'·W'`` tokens in ``(t h w)`` order, CLS first.
            grid: ``(T', H', W')`` token grid.
            has_cls: whether token 0 is a CLS token.
        """
        if self.attention == "joint":
            x = x + self.drop_path(self.attn(self.norm1(x)))
        else:
            x = self._divided_attention(x, grid, has_cls)
        return x + self.drop_path(self.mlp(self.norm2(x)))

    def _divided_attention(self, x: torch.Tensor, grid: tuple[int, int, int], has_cls: bool) -> torch.Tensor:
        t, h, w = grid
        cls, patches = (x[:, :1], x[:, 1:]) if has_cls else (None, x)
        along_time = rearrange(patches, "b (t s) d -> (b s) t d", t=t)
        along_time = along_time + self.drop_path(self.attn_time(self.norm_time(along_time)))
        along_space = rearrange(along_time, "(b s) t d -> (b t) s d", s=h * w)
        if cls is not None:
            along_space = torch.cat([repeat(cls, "b 1 d -> (b t) 1 d", t=t), along_space], dim=1)
        along_space = along_space + self.drop_path(self.attn(self.norm1(along_space)))
        if cls is not None:
            cls = reduce(along_space[:, :1], "(b t) 1 d -> b 1 d", "mean", t=t)
            along_space = along_space[:, 1:]
        patches = rearrange(along_space, "(b t) s d -> b (t s) d", t=t)
        return patches if cls is None else torch.cat([cls, patches], dim=1)
