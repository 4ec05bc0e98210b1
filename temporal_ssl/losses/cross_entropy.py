"""Cross-entropy over a pretext's classes (order permutations, arrow of time, playback speed ...)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from temporal_ssl.models.output import ModelOutput
from temporal_ssl.registry import LOSSES
from temporal_ssl.types import Batch, LossOutput


def classification_loss(logits: torch.Tensor, target: torch.Tensor, *,
                        label_smoothing: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean softmax cross-entropy and top-1 accuracy.

    Args:
        logits: float ``[B, K]``.
        target: int64 ``[B]`` in ``[0, K)``.
        label_smoothing: as in ``F.cross_entropy``.

    Returns:
        ``(loss, accuracy)``, both scalars; the accuracy carries no gradient.
    """
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= logits.shape[1]):
        raise ValueError(
            f"class targets must lie in [0, {logits.shape[1]}), got min {int(target.min())} and max "
            f"{int(target.max())}; a target of -1 means the pretext has no class target — use a contrastive "
            "loss for it, or give the head as many classes as the pretext has"
        )
    loss = F.cross_entropy(logits.float(), target, label_smoothing=label_smoothing)
    accuracy = (logits.detach().argmax(dim=1) == target).float().mean()
    return loss, accuracy


@LOSSES.register("cross_entropy")
class CrossEntropyLoss(nn.Module):
    """Softmax cross-entropy of ``ModelOutput.logits`` against ``Batch.target``.

    S&L (binary), OPN (12 classes), VCOP (``n!`` classes) all train with it. Metrics: ``loss``, ``accuracy``.

    Args:
        label_smoothing: probability mass spread uniformly over the classes (0 = none, as in the papers).
    """

    def __init__(self, *, label_smoothing: float = 0.0) -> None:
        super().__init__()
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1), got {label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, output: ModelOutput, batch: Batch, step: int) -> LossOutput:
        """Args: output: needs ``logits`` ``[B, K]``; batch: ``target`` ``[B]``; step: unused."""
        logits = output.require("logits", by="cross_entropy")
        loss, accuracy = classification_loss(logits, batch.target, label_smoothing=self.label_smoothing)
        return LossOutput(loss, {"loss": float(loss.detach()), "accuracy": float(accuracy)})
