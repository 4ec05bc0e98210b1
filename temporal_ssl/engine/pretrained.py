"""Load a pretrained model back from a training checkpoint, for evaluation and feature extraction.

A checkpoint carries its resolved config, so the model is rebuilt exactly as it was trained (encoder, head,
momentum branch) and its weights loaded strictly; ``model.encoder`` is the backbone evaluation protocols take.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from temporal_ssl.config import from_dict
from temporal_ssl.engine.checkpoint import load_checkpoint
from temporal_ssl.engine.components import build_model_and_loss, build_pretext
from temporal_ssl.engine.pretrain_config import PretrainConfig
from temporal_ssl.errors import CheckpointError
from temporal_ssl.models.pretext_model import PretextModel


@dataclass(frozen=True)
class Pretrained:
    """A model rebuilt from a checkpoint, the config it was trained with and the step it was saved at."""

    model: PretextModel
    config: PretrainConfig
    step: int

    @property
    def encoder(self) -> torch.nn.Module:
        """The backbone (``[B, C, T, H, W] → [B, D]``, ``num_features`` = D)."""
        return self.model.encoder


def load_pretrained(path: str | Path, map_location: str | torch.device = "cpu") -> Pretrained:
    """Rebuild the model of checkpoint ``path`` from its saved config and load its weights (eval mode).

    Components registered by a plugin must be imported first (``temporal_ssl.registry.import_plugin``).
    """
    path = Path(path)
    checkpoint = load_checkpoint(path, map_location)
    config = from_dict(PretrainConfig, checkpoint["config"], where=f"config of '{path}'")
    model, _ = build_model_and_loss(config.model, build_pretext(config))
    try:
        model.load_state_dict(checkpoint["model"])
    except RuntimeError as error:
        raise CheckpointError(
            f"the weights in '{path}' do not fit the model its config describes: {error}"
        ) from None
    return Pretrained(model.to(map_location).eval(), config, int(checkpoint["step"]))
