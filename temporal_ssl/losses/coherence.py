"""Temporal coherence (slowness) loss: neighbouring frames close in L1, other pairs at least a margin apart.

Mobahi, Collobert, Weston, "Deep Learning from Temporal Coherence in Video", ICML 2009:
``‖z₁ − z₂‖₁`` for a pair of consecutive frames, ``max(0, δ − ‖z₁ − z₂‖₁)`` for any other pair. **Unverified
constants:** the L1 form, the hinge and the value of δ are from recollection of the paper, not from its text
or code; δ = 1.0 here is our default, not the paper's. Positive pairs are views with the same instance id,
negative pairs views with different ids; the loss is ``mean_pos + negative_weight · mean_neg`` over unordered
pairs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from temporal_ssl.losses.pair_masks import flat_instance_ids, flatten_views, same_id_mask
from temporal_ssl.models.output import ModelOutput
from temporal_ssl.registry import LOSSES
from temporal_ssl.types import Batch, LossOutput


def coherence_loss(
    embeddings: torch.Tensor, ids: torch.Tensor, *, margin: float = 1.0, negative_weight: float = 1.0,
    normalize: bool = False,
) -> tuple[torch.Tensor, dict[str, float]]:
    """The coherence loss of the module docstring.

    Args:
        embeddings: float ``[N, E]``.
        ids: int64 ``[N]``; equal ids are neighbours (positives).
        margin: ``δ``, the L1 distance negatives are pushed to.
        negative_weight: weight of the negative term.
        normalize: L2-normalise embeddings first (the paper uses the raw top hidden layer).

    Returns:
        ``(loss, metrics)`` with ``positive_l1`` and ``negative_l1`` mean distances.
    """
    x = F.normalize(embeddings.float(), dim=1) if normalize else embeddings.float()
    l1 = (x[:, None, :] - x[None, :, :]).abs().sum(dim=2)
    index = torch.arange(ids.numel(), device=ids.device)
    upper = index[:, None] < index[None, :]
    same = same_id_mask(ids, ids)
    positive, negative = same & upper, ~same & upper
    if not bool(positive.any()) or not bool(negative.any()):
        raise ValueError("coherence loss needs at least one pair of views with equal instance ids "
                         "(neighbours) and one pair with different ids in the batch")
    loss = l1[positive].mean() + negative_weight * F.relu(margin - l1[negative]).mean()
    distances = l1.detach()
    metrics = {"positive_l1": float(distances[positive].mean()),
               "negative_l1": float(distances[negative].mean())}
    return loss, metrics


@LOSSES.register("coherence")
class CoherenceLoss(nn.Module):
    """Temporal-coherence loss on ``ModelOutput.embeddings`` (see the module docstring; constants unverified).

    Args:
        margin: ``δ`` (unverified; 1.0 is our default).
        negative_weight: weight of the hinge term on non-neighbour pairs.
        normalize: L2-normalise embeddings first.
    """

    def __init__(self, *, margin: float = 1.0, negative_weight: float = 1.0, normalize: bool = False) -> None:
        super().__init__()
        if margin <= 0 or negative_weight < 0:
            raise ValueError(f"coherence needs margin > 0 and negative_weight >= 0, got {margin}, "
                             f"{negative_weight}")
        self.margin = margin
        self.negative_weight = negative_weight
        self.normalize = normalize

    def forward(self, output: ModelOutput, batch: Batch, step: int) -> LossOutput:
        """Args: output: needs ``embeddings`` ``[B, V, E]``; batch: instance ids; step: unused."""
        embeddings = flatten_views(output.require("embeddings", by="coherence"))
        loss, metrics = coherence_loss(embeddings, flat_instance_ids(batch), margin=self.margin,
                                       negative_weight=self.negative_weight, normalize=self.normalize)
        return LossOutput(loss, {"loss": float(loss.detach()), **metrics})
