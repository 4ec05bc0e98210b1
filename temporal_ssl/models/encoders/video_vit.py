"""Video Vision Transformer: tubelet embedding, joint or divided space-time attention, mean or CLS pooling.

Tubelet embedding and joint attention follow ViViT (Arnab et al., ICCV 2021, "model 1") and the VideoMAE
encoder (Tong et al., NeurIPS 2022: 2×16×16 cubes, 16×224×224 clips → 8×14×14 = 1568 tokens); divided
attention follows TimeSformer (Bertasius et al., ICML 2021, "T+S"). Every reshape is an einops pattern.

Variants (every option can be overridden from the config):

==================  =========  =====  =====  ==============  ==========  ==============================
name                embed_dim  depth  heads  tubelet_size    input_size  notes
==================  =========  =====  =====  ==============  ==========  ==============================
``video_vit_tiny``  128        4      4      ``(2, 8, 8)``   32          CPU size: 16×32×32 → 128 tokens
``video_vit_s``     384        12     6      ``(2, 16, 16)`` 224         ViT-S, VideoMAE's small model
``video_vit_b``     768        12     12     ``(2, 16, 16)`` 224         ViT-B, VideoMAE's base model
==================  =========  =====  =====  ==============  ==========  ==============================

Position embeddings are sized from ``num_frames`` and ``input_size`` at construction. A clip of another size
still works: the fixed sin-cos embedding (default) is computed for the actual token grid, a learned one is
resampled trilinearly.

VideoMAE's released weights load (format ``videomae``, :mod:`temporal_ssl.models.layouts`) into a ViT built
with VideoMAE's three choices: ``pos_embed="sincos_1d"`` (its fixed table over the flattened token index),
``norm_eps=1e-6``, and ``pooling="fc_norm"`` for its fine-tuned models (average the tokens, then a LayerNorm
``fc_norm``; no final per-token norm) or the default ``"mean"`` for its pretraining encoders.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Literal

import torch
from einops import rearrange
from torch import nn

from temporal_ssl.models.encoders.contract import check_video_input
from temporal_ssl.models.layers.patch_embed import TubeletEmbed
from temporal_ssl.models.layers.pos_embed import resize_pos_embed, sincos_3d, sincos_token_table
from temporal_ssl.models.layers.space_time_block import AttentionKind, SpaceTimeBlock
from temporal_ssl.registry import ENCODERS


class VideoViT(nn.Module):
    """A plain ViT over space-time tokens.

    Args:
        num_frames: clip length the position embedding is sized for.
        input_size: frame size ``S`` or ``(H, W)`` the position embedding is sized for.
        tubelet_size: ``(t, p_h, p_w)`` cube per token.
        in_channels: input channels.
        embed_dim: token width ``D`` (= ``num_features``).
        depth: transformer blocks.
        num_heads: attention heads.
        mlp_ratio: MLP hidden width relative to ``embed_dim``.
        qkv_bias: bias on query/key/value projections.
        attention: ``"joint"`` space-time attention or ``"divided"`` (time, then space).
        pos_embed: ``"sincos"`` (fixed 3D, any grid), ``"sincos_1d"`` (VideoMAE's fixed table over the token
            index) or ``"learnable"`` (resampled for other grids).
        pooling: ``"mean"`` of the patch tokens or the ``"cls"`` token, after the final LayerNorm; or
            ``"fc_norm"``: the mean of the un-normalised tokens through a LayerNorm (VideoMAE fine-tuning).
        drop_path_rate: stochastic-depth rate of the last block (linearly increasing from 0).
        norm_eps: epsilon of every LayerNorm (VideoMAE: 1e-6).
    """

    def __init__(self, *, num_frames: int = 16, input_size: int | Sequence[int] = 224,
                 tubelet_size: Sequence[int] = (2, 16, 16), in_channels: int = 3, embed_dim: int = 768,
                 depth: int = 12, num_heads: int = 12, mlp_ratio: float = 4.0, qkv_bias: bool = True,
                 attention: AttentionKind = "joint",
                 pos_embed: Literal["sincos", "sincos_1d", "learnable"] = "sincos",
                 pooling: Literal["mean", "cls", "fc_norm"] = "mean", drop_path_rate: float = 0.0,
                 norm_eps: float = 1e-5) -> None:
        super().__init__()
        size = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
        if len(size) != 2 or len(tubelet_size) != 3:
            raise ValueError(f"video ViT: input_size must be an int or [H, W] and tubelet_size "
                             f"[t, p_h, p_w], got {input_size!r} and {tubelet_size!r}")
        if pos_embed not in ("sincos", "sincos_1d", "learnable"):
            raise ValueError(f"pos_embed='{pos_embed}' is not supported; choose 'sincos', 'sincos_1d' or "
                             "'learnable'")
        if pooling not in ("mean", "cls", "fc_norm"):
            raise ValueError(f"pooling='{pooling}' is not supported; choose 'mean', 'cls' or 'fc_norm'")
        if depth < 1:
            raise ValueError(f"video ViT depth must be >= 1, got {depth}")
        tubelet = (int(tubelet_size[0]), int(tubelet_size[1]), int(tubelet_size[2]))
        self.patch_embed = TubeletEmbed(in_channels, embed_dim, tubelet)
        self.grid = self.patch_embed.grid(num_frames, size[0], size[1])
        self.pos_embed_kind = pos_embed
        self.pos_embed: nn.Parameter | None = None
        if pos_embed == "learnable":
            num_tokens = self.grid[0] * self.grid[1] * self.grid[2]
            self.pos_embed = nn.Parameter(torch.zeros(1, num_tokens, embed_dim))
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
        elif embed_dim % 2:
            raise ValueError(f"pos_embed='sincos' needs an even embed_dim, got {embed_dim}")
        self.cls_token: nn.Parameter | None = None
        if pooling == "cls":
            self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
            nn.init.trunc_normal_(self.cls_token, std=0.02)
        rates = torch.linspace(0, drop_path_rate, depth, device="cpu").tolist()
        self.blocks = nn.ModuleList(
            SpaceTimeBlock(embed_dim, num_heads, attention=attention, mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                           drop_path=rate, norm_eps=norm_eps)
            for rate in rates
        )
        self.norm: nn.Module = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.fc_norm: nn.LayerNorm | None = None
        if pooling == "fc_norm":
            self.norm = nn.Identity()
            self.fc_norm = nn.LayerNorm(embed_dim, eps=norm_eps)
        self.pooling = pooling
        self.attention = attention
        self.in_channels = in_channels
        self.num_features = embed_dim
        self.apply(_init_linear)

    def _position_embedding(self, grid: tuple[int, int, int], device: torch.device) -> torch.Tensor:
        if self.pos_embed_kind == "sincos_1d":
            return sincos_token_table(grid[0] * grid[1] * grid[2], self.num_features, device)
        if self.pos_embed is None:
            return sincos_3d(grid, self.num_features, device)
        return resize_pos_embed(self.pos_embed, self.grid, grid)

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int, int]]:
        """Final tokens ``[B, (1+) T'H'W', D]`` (CLS first when used; normalised unless pooling is
        ``fc_norm``) and the grid."""
        check_video_input(x, self.in_channels, encoder="video_vit")
        tokens, grid = self.patch_embed(x)
        tokens = tokens + self._position_embedding(grid, tokens.device).to(tokens.dtype)
        if self.cls_token is not None:
            tokens = torch.cat([self.cls_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)
        for block in self.blocks:
            tokens = block(tokens, grid, has_cls=self.cls_token is not None)
        return self.norm(tokens), grid

    def forward_feature_map(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, D, T', H', W']``: the final patch tokens on their grid (CLS token dropped)."""
        tokens, (t, h, w) = self._encode(x)
        patches = tokens[:, 1:] if self.cls_token is not None else tokens
        return rearrange(patches, "b (t h w) d -> b d t h w", t=t, h=h, w=w)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """``[B, D]``: the CLS token, or the mean of the patch tokens (through ``fc_norm`` if it has one)."""
        tokens, _ = self._encode(x)
        if self.cls_token is not None:
            return tokens[:, 0]
        if self.fc_norm is not None:
            return self.fc_norm(tokens.mean(dim=1))
        return tokens.mean(dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`forward_features`."""
        return self.forward_features(x)


def _init_linear(module: nn.Module) -> None:
    """ViT initialisation: truncated-normal (std 0.02) linear weights, zero biases."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)


video_vit_tiny = ENCODERS.register("video_vit_tiny")(
    partial(VideoViT, embed_dim=128, depth=4, num_heads=4, tubelet_size=(2, 8, 8), input_size=32))
video_vit_s = ENCODERS.register("video_vit_s")(partial(VideoViT, embed_dim=384, depth=12, num_heads=6))
video_vit_b = ENCODERS.register("video_vit_b")(partial(VideoViT, embed_dim=768, depth=12, num_heads=12))
