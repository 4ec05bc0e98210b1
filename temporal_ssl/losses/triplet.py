"""Triplet ranking loss with in-batch mining: TCN (squared Euclidean, semi-hard), Wang & Gupta (cosine).

Positives are views with the same global instance id, negatives views with another id. Embeddings are
L2-normalised first (``normalize=True``; TCN and Wang & Gupta both do).

* **Squared Euclidean** (Sermanet et al. 2018, svTCN / mvTCN; ``research/tcn`` ``svtcn_loss.py``): every
  ordered positive pair ``(a, p)`` is a triplet anchor; margin 0.2. ``mining="semi_hard"`` (FaceNet, TF
  ``triplet_semihard_loss``) takes the closest negative that is still farther from ``a`` than ``p``, and when
  none is, the farthest negative. Loss = mean over pairs of ``max(0, d(a,p) − d(a,n) + margin)``.
* **Cosine** (Wang & Gupta, ICCV 2015; ``rank_hard_loss_layer.cpp``): ``D = 1 − cos``, margin 0.5 (paper; the
  released prototxt uses 1), ``num_negatives`` (K = 4) negatives per pair and, with ``symmetric=True``, a
  hinge for both patches of the pair against the same negative:
  ``max(0, D(a,p) − D(a,n) + M) + max(0, D(a,p) − D(p,n) + M)``. ``mining="hard"``: among the negatives that
  violate the margin for the anchor (the first view of the pair), all of them if at most K; else
  ``round(hard_ratio·K)`` picked at random from the K closest violators and the rest at random from the other
  violators. Before ``hard_mining_after_steps`` the hard share is 0 (random violators: the paper's
  random-then-hard schedule, the README's ``hard_ratio=0`` start).

Modes: ``semi_hard`` (above; K > 1 takes the K first in the same order), ``hard`` (above;
``hard_ratio=1`` takes the K closest violators), ``random`` (K negatives uniformly from all negatives). Pairs
are ordered ``(a, p)`` when ``symmetric=False`` and unordered (``a`` the lower view index) when
``symmetric=True``, so each hinge is counted once. The sum of hinges is divided by
``K · #pairs · (2 if symmetric else 1)`` — as in the Caffe layer, a pair with fewer than K selectable
negatives counts the missing ones as zero.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from temporal_ssl.losses.pair_masks import flat_instance_ids, flat_video_ids, flatten_views, same_id_mask
from temporal_ssl.models.output import ModelOutput
from temporal_ssl.registry import LOSSES
from temporal_ssl.types import Batch, LossOutput

Distance = Literal["squared_euclidean", "cosine"]
Mining = Literal["semi_hard", "hard", "random"]
Negatives = Literal["any", "same_video"]
DEFAULT_MARGIN = {"squared_euclidean": 0.2, "cosine": 0.5}


def pairwise_distance(x: torch.Tensor, distance: Distance) -> torch.Tensor:
    """``[N, N]`` distances between rows of ``x`` ``[N, E]``: squared Euclidean or ``1 − cos``."""
    if distance == "cosine":
        unit = F.normalize(x, dim=1)
        return 1.0 - unit @ unit.T
    if distance == "squared_euclidean":
        squared = (x * x).sum(dim=1)
        return (squared[:, None] + squared[None, :] - 2.0 * x @ x.T).clamp_min(0.0)
    raise ValueError(f"distance '{distance}' is not supported; choose 'squared_euclidean' or 'cosine'")


def _smallest(keys: torch.Tensor, count: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Column indices of the ``count`` smallest finite keys per row, and which of them are finite."""
    count = min(count, keys.shape[1])
    values, index = keys.topk(count, dim=1, largest=False)
    return index, torch.isfinite(values)


def mine_negatives(d_ap: torch.Tensor, d_an: torch.Tensor, is_negative: torch.Tensor, *, margin: float,
                   mining: Mining, num_negatives: int,
                   hard_ratio: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Pick negatives for each positive pair (see the module docstring).

    Args:
        d_ap: ``[P]`` anchor-positive distances.
        d_an: ``[P, N]`` anchor-to-every-view distances.
        is_negative: bool ``[P, N]``.
        margin, mining, num_negatives, hard_ratio: as in :class:`TripletLoss`.

    Returns:
        ``(index [P, K'], valid [P, K'])``: chosen view indices, and which slots hold a real negative.
    """
    inf = torch.tensor(float("inf"), device=d_an.device)
    if mining == "random":
        return _smallest(torch.where(is_negative, torch.rand_like(d_an), inf), num_negatives)
    if mining == "semi_hard":
        outside = is_negative & (d_an > d_ap[:, None])
        offset = 2.0 * d_an.max() + 1.0  # ranks every inside negative after every outside one
        keys = torch.where(outside, d_an, torch.where(is_negative, offset - d_an, inf))
        return _smallest(keys, num_negatives)
    if mining != "hard":
        raise ValueError(f"mining '{mining}' is not supported; choose 'semi_hard', 'hard' or 'random'")
    violators = is_negative & (d_ap[:, None] - d_an + margin > 0)
    num_hard = round(hard_ratio * num_negatives)
    pool, pool_valid = _smallest(torch.where(violators, d_an, inf), num_negatives)
    pool_keys = torch.where(pool_valid, torch.rand_like(pool, dtype=d_an.dtype), inf)
    pick, pick_valid = _smallest(pool_keys, num_hard)
    hard, hard_valid = pool.gather(1, pick), pick_valid
    rest = violators.clone()
    rest.scatter_(1, hard, torch.where(hard_valid, False, rest.gather(1, hard)))
    fill, fill_valid = _smallest(torch.where(rest, torch.rand_like(d_an), inf), num_negatives - num_hard)
    return torch.cat([hard, fill], dim=1), torch.cat([hard_valid, fill_valid], dim=1)


def triplet_loss(embeddings: torch.Tensor, ids: torch.Tensor, *, distance: Distance = "squared_euclidean",
                 margin: float = 0.2, mining: Mining = "semi_hard", num_negatives: int = 1,
                 hard_ratio: float = 1.0, symmetric: bool = False, normalize: bool = True,
                 videos: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """The triplet loss of the module docstring on flat embeddings.

    Args:
        embeddings: float ``[N, E]``.
        ids: int64 ``[N]``; equal ids are positives.
        distance, margin, mining, num_negatives, hard_ratio, symmetric, normalize: see :class:`TripletLoss`.
        videos: int64 ``[N]`` video ids; when given, only views of the anchor's own video are negatives.

    Returns:
        ``(loss, metrics)`` with metrics ``active_fraction`` (selected triplets with a positive hinge),
        ``positive_distance`` and ``negative_distance`` (means over pairs / selected negatives).
    """
    x = F.normalize(embeddings.float(), dim=1) if normalize else embeddings.float()
    dist = pairwise_distance(x, distance)
    same = same_id_mask(ids, ids)
    index = torch.arange(ids.numel(), device=ids.device)
    ordered = (index[:, None] < index[None, :]) if symmetric else (index[:, None] != index[None, :])
    pair_mask = same & ordered
    anchor, positive = pair_mask.nonzero(as_tuple=True)
    if anchor.numel() == 0:
        raise ValueError("triplet loss found no positive pair in the batch: every view has its own instance "
                         "id. The pretext must give an anchor and its positive the same instance id")
    d_ap = dist[anchor, positive]
    is_negative = ~same if videos is None else ~same & same_id_mask(videos, videos)
    with torch.no_grad():
        chosen, valid = mine_negatives(d_ap.detach(), dist[anchor].detach(), is_negative[anchor],
                                       margin=margin, mining=mining, num_negatives=num_negatives,
                                       hard_ratio=hard_ratio)
    d_an = dist[anchor].gather(1, chosen)
    hinges = F.relu(d_ap[:, None] - d_an + margin) * valid
    total = hinges.sum()
    if symmetric:
        d_pn = dist[positive].gather(1, chosen)
        total = total + (F.relu(d_ap[:, None] - d_pn + margin) * valid).sum()
    loss = total / (num_negatives * anchor.numel() * (2 if symmetric else 1))
    with torch.no_grad():
        selected = valid.sum().clamp_min(1)
        metrics = {
            "active_fraction": float(((hinges > 0) & valid).sum() / selected),
            "positive_distance": float(d_ap.mean()),
            "negative_distance": float((d_an * valid).sum() / selected),
        }
    return loss, metrics


@LOSSES.register("triplet")
class TripletLoss(nn.Module):
    """Triplet ranking loss on ``ModelOutput.embeddings``; see the module docstring for the exact rules.

    Args:
        distance: ``"squared_euclidean"`` (TCN) or ``"cosine"`` (Wang & Gupta).
        margin: hinge margin; ``None`` = 0.2 for squared Euclidean (TCN config), 0.5 for cosine (W&G paper).
        mining: ``"semi_hard"``, ``"hard"`` or ``"random"``.
        num_negatives: negatives per positive pair (TCN 1, W&G 4).
        hard_ratio: share of the K negatives taken from the K hardest violators in ``hard`` mode.
        hard_mining_after_steps: in ``hard`` mode, steps of random violators before hard mining starts.
        symmetric: both members of a pair face the negative (W&G); pairs are then unordered.
        normalize: L2-normalise embeddings first.
        negatives: ``"any"`` (every view of another instance in the batch) or ``"same_video"`` (only views of
            the anchor's own video: TCN's temporal neighbours, while the batch can still hold several videos
            so BatchNorm sees more than one sequence).
    """

    def __init__(self, *, distance: Distance = "squared_euclidean", margin: float | None = None,
                 mining: Mining = "semi_hard", num_negatives: int = 1, hard_ratio: float = 1.0,
                 hard_mining_after_steps: int = 0, symmetric: bool = False, normalize: bool = True,
                 negatives: Negatives = "any") -> None:
        super().__init__()
        if distance not in DEFAULT_MARGIN:
            raise ValueError(f"triplet distance '{distance}' is not supported; choose one of "
                             f"{list(DEFAULT_MARGIN)}")
        if mining not in ("semi_hard", "hard", "random"):
            raise ValueError(f"triplet mining '{mining}' is not supported; choose 'semi_hard', 'hard' or "
                             "'random'")
        if num_negatives < 1 or not 0.0 <= hard_ratio <= 1.0 or hard_mining_after_steps < 0:
            raise ValueError(f"triplet needs num_negatives >= 1, hard_ratio in [0, 1] and "
                             f"hard_mining_after_steps >= 0, got {num_negatives}, {hard_ratio}, "
                             f"{hard_mining_after_steps}")
        if negatives not in ("any", "same_video"):
            raise ValueError(f"triplet negatives '{negatives}' is not supported; choose 'any' or "
                             "'same_video'")
        self.negatives: Negatives = negatives
        self.distance: Distance = distance
        self.margin = DEFAULT_MARGIN[distance] if margin is None else margin
        if self.margin < 0:
            raise ValueError(f"triplet margin must be >= 0, got {self.margin}")
        self.mining: Mining = mining
        self.num_negatives = num_negatives
        self.hard_ratio = hard_ratio
        self.hard_mining_after_steps = hard_mining_after_steps
        self.symmetric = symmetric
        self.normalize = normalize

    def forward(self, output: ModelOutput, batch: Batch, step: int) -> LossOutput:
        """Args: output: needs ``embeddings`` ``[B, V, E]``; batch: instance ids; step: mining schedule."""
        embeddings = flatten_views(output.require("embeddings", by="triplet"))
        hard_ratio = self.hard_ratio if step >= self.hard_mining_after_steps else 0.0
        loss, metrics = triplet_loss(
            embeddings, flat_instance_ids(batch), distance=self.distance, margin=self.margin,
            mining=self.mining, num_negatives=self.num_negatives, hard_ratio=hard_ratio,
            symmetric=self.symmetric, normalize=self.normalize,
            videos=flat_video_ids(batch) if self.negatives == "same_video" else None,
        )
        return LossOutput(loss, {"loss": float(loss.detach()), **metrics})
