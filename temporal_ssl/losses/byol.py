"""BYOL's loss: normalised MSE between online predictions and momentum-target projections (Grill et al. 2020).

``ℓ(i, j) = ‖p̂_i − ẑ_j‖² = 2 − 2·cos(p_i, z_j)`` for the prediction ``p_i`` of view ``i`` and the target key
``z_j`` of a positive view ``j ≠ i`` (same instance id). BYOL sums its two directions; here the loss is the
*mean* over all ordered positive pairs, which makes ρ > 2 views (ρBYOL) and ρ = 2 comparable and halves BYOL's
scale.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from temporal_ssl.losses.pair_masks import flat_instance_ids, flatten_views, same_id_mask
from temporal_ssl.models.output import ModelOutput
from temporal_ssl.registry import LOSSES
from temporal_ssl.types import Batch, LossOutput


def byol_loss(predictions: torch.Tensor, targets: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Mean of ``2 − 2·cos(p_i, z_j)`` over ordered pairs ``i ≠ j`` with equal ids.

    Args:
        predictions: float ``[N, E]`` online predictions.
        targets: float ``[N, E]`` targets (gradients are not taken through them).
        ids: int64 ``[N]`` instance ids.
    """
    index = torch.arange(ids.numel(), device=ids.device)
    pairs = same_id_mask(ids, ids) & (index[:, None] != index[None, :])
    if not bool(pairs.any()):
        raise ValueError("BYOL loss found no positive pair: give at least two views of a sample the same "
                         "instance id")
    cosine = F.normalize(predictions.float(), dim=1) @ F.normalize(targets.detach().float(), dim=1).T
    return (2.0 - 2.0 * cosine)[pairs].mean()


@LOSSES.register("byol")
class BYOLLoss(nn.Module):
    """BYOL / SimSiam loss on ``ModelOutput.predictions`` against ``ModelOutput.keys``. Metric: ``loss``.

    It takes no options; the explicit constructor says so, so that a config replacing a pretext's InfoNCE
    with ``model.loss: byol`` drops InfoNCE's options instead of passing them on.
    """

    def __init__(self) -> None:
        super().__init__()

    def forward(self, output: ModelOutput, batch: Batch, step: int) -> LossOutput:
        """Args: output: needs ``predictions``, ``keys`` ``[B, V, E]``; batch: instance ids; step: unused."""
        predictions = flatten_views(output.require("predictions", by="byol"))
        keys = flatten_views(output.require("keys", by="byol"))
        loss = byol_loss(predictions, keys, flat_instance_ids(batch))
        return LossOutput(loss, {"loss": float(loss.detach())})
