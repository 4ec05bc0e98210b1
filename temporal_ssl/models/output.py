"""``ModelOutput``: what ``PretextModel.forward`` returns and every loss reads.

One typed value instead of a dict of magic keys: a loss asks for the field it needs with
:meth:`ModelOutput.require`, which names the head to use when the field is missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from temporal_ssl.errors import ConfigError

_PRODUCED_BY = {
    "logits": "a classification head (linear, order_concat, order_pairwise)",
    "embeddings": "an embedding head (projection_mlp, identity)",
    "keys": "a momentum encoder (pretext model option momentum=0.99..., or a predictor for SimSiam)",
    "predictions": "a predictor (pretext model option predictor: byol_predictor)",
}


@dataclass
class ModelOutput:
    """The outputs of one forward pass of a :class:`~temporal_ssl.models.pretext_model.PretextModel`.

    Args:
        features: float ``[B, V, D]`` pooled encoder features of every view (before the head).
        logits: float ``[B, K]`` class scores from a classification head, else ``None``.
        embeddings: float ``[B, V, E]`` per-view embeddings from an embedding head, *not* L2-normalised
            (each loss normalises as its paper does), else ``None``.
        keys: float ``[B, V, E]`` targets computed without gradient: the momentum (EMA) encoder and head
            (MoCo/BYOL), or the detached embeddings (SimSiam); else ``None``.
        predictions: float ``[B, V, E]`` predictor outputs on ``embeddings`` (BYOL/SimSiam), else ``None``.
    """

    features: torch.Tensor
    logits: torch.Tensor | None = None
    embeddings: torch.Tensor | None = None
    keys: torch.Tensor | None = None
    predictions: torch.Tensor | None = None

    def require(self, name: str, *, by: str) -> torch.Tensor:
        """The field ``name``; a ``ConfigError`` naming the component that produces it when it is ``None``.

        Args:
            name: ``"logits"``, ``"embeddings"``, ``"keys"`` or ``"predictions"``.
            by: who needs it (a loss name), for the message.
        """
        value = getattr(self, name)
        if value is None:
            raise ConfigError(
                f"loss '{by}' needs ModelOutput.{name}, which this model does not produce; "
                f"{name} come from {_PRODUCED_BY[name]}. Change the pretext's head or the model options."
            )
        return value
