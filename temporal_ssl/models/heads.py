"""Heads: what sits on the encoder's pooled features ``[B, V, D]`` during pretraining and probing.

Every head takes the features of all views, ``[B, V, D]`` (``[B, D]`` is read as ``V = 1``), and declares
what it produces: ``produces = "logits"`` (``[B, K]``, one prediction per sample) or ``"embeddings"``
(``[B, V, E]``, one vector per view, *not* L2-normalised: losses normalise, so a head can feed cosine and
Euclidean losses alike). ``out_features`` is ``K`` or ``E``. Heads are registered in ``HEADS``;
``in_features`` is supplied by ``build_head`` from the encoder, every other argument is a config option.
"""

from __future__ import annotations

from itertools import combinations
from typing import ClassVar, Literal

import torch
from einops import rearrange
from torch import nn

from temporal_ssl.registry import HEADS

Produces = Literal["logits", "embeddings"]


def as_views(features: torch.Tensor) -> torch.Tensor:
    """``[B, V, D]`` view of pooled features given as ``[B, V, D]`` or ``[B, D]``."""
    if features.ndim == 2:
        return features.unsqueeze(1)
    if features.ndim != 3:
        raise ValueError(f"heads take features [B, V, D] or [B, D], got shape {tuple(features.shape)}")
    return features


def _check_views(features: torch.Tensor, num_views: int, head: str) -> None:
    if features.shape[1] != num_views:
        raise ValueError(
            f"head '{head}' was built for num_views={num_views} but got {features.shape[1]} views "
            f"(features {tuple(features.shape)}); set the head's num_views to the pretext's number of views"
        )


@HEADS.register("linear")
class LinearHead(nn.Module):
    """A linear classifier on the features of one view (view 0 by default): ``[B, V, D] → [B, K]``.

    Args:
        in_features: ``D``.
        num_classes: ``K``.
        dropout: dropout before the linear layer.
        view: which view's features are classified.
    """

    produces: ClassVar[Produces] = "logits"

    def __init__(self, *, in_features: int, num_classes: int, dropout: float = 0.0, view: int = 0) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f"head 'linear': num_classes must be >= 1, got {num_classes}")
        self.view = view
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(in_features, num_classes)
        self.out_features = num_classes

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Args: features: float ``[B, V, D]`` or ``[B, D]``. Returns ``[B, K]``."""
        return self.fc(self.dropout(as_views(features)[:, self.view]))


@HEADS.register("projection_mlp")
class ProjectionMLP(nn.Module):
    """Per-view MLP projection (SimCLR / CVRL / MoCo v2 / BYOL): ``[B, V, D] → [B, V, E]``.

    ``num_layers`` linear layers; each hidden one is followed by BatchNorm (optional) and ReLU. All ``B·V``
    views share one BatchNorm batch. CVRL uses 3 layers with 2048 hidden units → 128; ρSimCLR and ρMoCo 3
    layers, 2048 hidden, no BN → 128; ρBYOL 2 layers, 4096 hidden, BN → 256 (PySlowFast's released configs).

    Args:
        in_features: ``D``.
        out_dim: ``E``.
        hidden_dim: width of the hidden layers.
        num_layers: linear layers (1 = a single linear projection).
        batch_norm: BatchNorm after each hidden linear layer.
        last_batch_norm: BatchNorm (without affine) on the output as well (SimCLR v2 / MoCo v3 style).
    """

    produces: ClassVar[Produces] = "embeddings"

    def __init__(self, *, in_features: int, out_dim: int = 128, hidden_dim: int = 2048, num_layers: int = 2,
                 batch_norm: bool = True, last_batch_norm: bool = False) -> None:
        super().__init__()
        if num_layers < 1 or out_dim < 1 or hidden_dim < 1:
            raise ValueError(f"head 'projection_mlp': num_layers, out_dim and hidden_dim must be >= 1, got "
                             f"{num_layers}, {out_dim}, {hidden_dim}")
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(num_layers - 1):
            layers.append(nn.Linear(width, hidden_dim, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(hidden_dim))
            layers.append(nn.ReLU(inplace=True))
            width = hidden_dim
        layers.append(nn.Linear(width, out_dim, bias=not last_batch_norm))
        if last_batch_norm:
            layers.append(nn.BatchNorm1d(out_dim, affine=False))
        self.mlp = nn.Sequential(*layers)
        self.out_features = out_dim

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Args: features: float ``[B, V, D]`` (``[B, D]`` gives ``[B, E]``). Returns ``[B, V, E]``."""
        if features.ndim == 2:
            return self.mlp(features)
        views = as_views(features)
        flat = self.mlp(rearrange(views, "b v d -> (b v) d"))
        return rearrange(flat, "(b v) e -> b v e", b=views.shape[0])


@HEADS.register("byol_predictor")
def byol_predictor(*, in_features: int, hidden_dim: int = 4096, num_layers: int = 2,
                   batch_norm: bool = True) -> ProjectionMLP:
    """BYOL's predictor q: an MLP from the projection space back to itself (``[B, V, E] → [B, V, E]``).

    Grill et al. 2020 use the projector's architecture (4096 hidden, BN, ReLU) with output width = input
    width; so does ρBYOL (2 layers, 4096 hidden, BN, 256 → 256).
    """
    return ProjectionMLP(in_features=in_features, out_dim=in_features, hidden_dim=hidden_dim,
                         num_layers=num_layers, batch_norm=batch_norm)


@HEADS.register("identity")
class IdentityHead(nn.Module):
    """The encoder features themselves as embeddings, ``[B, V, D] → [B, V, D]`` (losses on raw features)."""

    produces: ClassVar[Produces] = "embeddings"

    def __init__(self, *, in_features: int) -> None:
        super().__init__()
        self.out_features = in_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Args: features: float ``[B, V, D]``. Returns it unchanged (``[B, D]`` becomes ``[B, 1, D]``)."""
        return as_views(features)


@HEADS.register("order_concat")
class OrderConcatHead(nn.Module):
    """Order classifier over the concatenated view features (Shuffle & Learn): ``[B, V·D] → [B, K]``.

    S&L concatenates the three fc7 vectors of a frame tuple and applies one linear layer with 2 outputs
    (``networks/tuple_train.prototxt``); ``hidden_dim`` adds a hidden ReLU layer.

    Args:
        in_features: ``D`` per view.
        num_views: ``V`` (fixed: the concatenation order is the view order).
        num_classes: ``K``.
        hidden_dim: width of an optional hidden layer, ``None`` for a single linear layer.
        dropout: dropout on the concatenated features.
    """

    produces: ClassVar[Produces] = "logits"

    def __init__(self, *, in_features: int, num_views: int, num_classes: int, hidden_dim: int | None = None,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if num_views < 1 or num_classes < 1:
            raise ValueError(f"head 'order_concat': num_views and num_classes must be >= 1, got "
                             f"{num_views}, {num_classes}")
        width = num_views * in_features
        layers: list[nn.Module] = [nn.Dropout(dropout)]
        if hidden_dim is not None:
            layers += [nn.Linear(width, hidden_dim), nn.ReLU(inplace=True)]
            width = hidden_dim
        layers.append(nn.Linear(width, num_classes))
        self.classifier = nn.Sequential(*layers)
        self.num_views = num_views
        self.out_features = num_classes

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Args: features: float ``[B, V, D]``. Returns ``[B, K]``."""
        views = as_views(features)
        _check_views(views, self.num_views, "order_concat")
        return self.classifier(rearrange(views, "b v d -> b (v d)"))


@HEADS.register("order_pairwise")
class OrderPairwiseHead(nn.Module):
    """Pairwise-fusion order classifier (OPN, VCOP): ``[B, V, D] → [B, K]``.

    For each of the ``V(V−1)/2`` view pairs ``(i, j)``, ``i < j`` in ``itertools.combinations`` order, the two
    features are concatenated (``2D``) and mapped by one shared ``Linear(2D, hidden_dim)`` + ReLU; the pair
    outputs are concatenated → dropout → ``Linear(pairs·hidden_dim, K)``. VCOP (``models/vcopn.py``): hidden
    512, dropout 0.5, ``K = V!``; OPN: 6 pairs of 4 frames, ``K = 12``.

    Args:
        in_features: ``D`` per view.
        num_views: ``V`` (>= 2).
        num_classes: ``K``.
        hidden_dim: width of the shared pair layer.
        dropout: dropout before the classifier.
    """

    produces: ClassVar[Produces] = "logits"

    def __init__(self, *, in_features: int, num_views: int, num_classes: int, hidden_dim: int = 512,
                 dropout: float = 0.5) -> None:
        super().__init__()
        if num_views < 2 or num_classes < 1:
            raise ValueError(f"head 'order_pairwise' needs num_views >= 2 and num_classes >= 1, got "
                             f"{num_views}, {num_classes}")
        self.pairs = list(combinations(range(num_views), 2))
        self.pair_fc = nn.Linear(2 * in_features, hidden_dim)
        self.relu = nn.ReLU(inplace=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(len(self.pairs) * hidden_dim, num_classes)
        self.num_views = num_views
        self.out_features = num_classes

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Args: features: float ``[B, V, D]``. Returns ``[B, K]``."""
        views = as_views(features)
        _check_views(views, self.num_views, "order_pairwise")
        first = [i for i, _ in self.pairs]
        second = [j for _, j in self.pairs]
        pair_features = torch.cat([views[:, first], views[:, second]], dim=2)  # [B, P, 2D]
        fused = self.relu(self.pair_fc(pair_features))
        return self.classifier(self.dropout(rearrange(fused, "b p h -> b (p h)")))
