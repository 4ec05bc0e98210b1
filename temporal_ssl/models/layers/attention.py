"""Multi-head self-attention and the transformer MLP, the two sub-layers of every transformer block."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn


class Attention(nn.Module):
    """Multi-head self-attention over a token sequence (``F.scaled_dot_product_attention`` kernel).

    Args:
        dim: token width ``D``; must be divisible by ``num_heads``.
        num_heads: attention heads.
        qkv_bias: learn a bias for the query/key/value projection (ViT and VideoMAE do).
    """

    def __init__(self, dim: int, num_heads: int, *, qkv_bias: bool = True) -> None:
        super().__init__()
        if dim % num_heads:
            raise ValueError(f"attention width {dim} is not divisible by num_heads={num_heads}; "
                             "choose an embed_dim that is a multiple of num_heads")
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Attend every token to every token.

        Args:
            x: float ``[B, N, D]``.
        """
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.num_heads)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(rearrange(out, "b h n d -> b n (h d)"))


class Mlp(nn.Module):
    """The transformer feed-forward layer: Linear → GELU → Linear, hidden width ``mlp_ratio · dim``."""

    def __init__(self, dim: int, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Args: x: float ``[..., D]``."""
        return self.fc2(self.act(self.fc1(x)))
