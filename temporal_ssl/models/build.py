"""Build encoders, heads and the pretext model from config names (the ``ENCODERS`` / ``HEADS`` registries).

Options are checked against each component's signature before construction: an unknown key fails with the
valid keys and the closest match, an unknown name with the registered names.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from torch import nn

from temporal_ssl.errors import ConfigError
from temporal_ssl.models import encoders as _encoders  # noqa: F401  (registers the encoders)
from temporal_ssl.models import heads as _heads  # noqa: F401  (registers the heads)
from temporal_ssl.models.momentum import MomentumSchedule
from temporal_ssl.models.pretext_model import PretextModel
from temporal_ssl.models.weights import WeightsSource, load_weights
from temporal_ssl.registry import ENCODERS, HEADS


def build_encoder(name: str, options: Mapping[str, Any] | None = None, *,
                  weights: WeightsSource | None = None, where: str = "model.encoder") -> nn.Module:
    """The encoder registered as ``name`` built with config ``options``, optionally with ``weights``.

    Args:
        name: e.g. ``"r3d_18"``, ``"r2plus1d_tiny"``, ``"video_vit_s"``.
        options: the encoder's keyword options (``{"attention": "divided"}``).
        weights: a checkpoint of this package, exported weights, or a state dict (file or mapping) in a
            layout the architecture knows — torchvision's, the papers' released ones
            (:mod:`temporal_ssl.models.layouts`); classifier heads in it are ignored.
        where: config path of ``options`` for error messages.
    """
    encoder = ENCODERS.build(name, options, where=where)
    if not isinstance(getattr(encoder, "num_features", None), int):
        raise ConfigError(f"encoder '{name}' does not declare an integer num_features; see "
                          "temporal_ssl.models.encoders.contract for what an encoder must provide")
    encoder.encoder_name = name  # lets export_encoder find the layouts of a module it is given
    if weights is not None:
        load_weights(encoder, name, weights)
    return encoder


def build_head(name: str, options: Mapping[str, Any] | None, in_features: int, *,
               where: str = "model.head") -> nn.Module:
    """The head registered as ``name`` on ``in_features``-wide features, built with config ``options``."""
    return HEADS.build(name, options, where=where, in_features=in_features)


def build_pretext_model(encoder: str, encoder_options: Mapping[str, Any] | None, head: str,
                        head_options: Mapping[str, Any] | None, *, momentum: float | None = None,
                        momentum_schedule: MomentumSchedule = "cosine", predictor: str | None = None,
                        predictor_options: Mapping[str, Any] | None = None) -> PretextModel:
    """Encoder + head (+ momentum branch, + predictor) as one :class:`PretextModel`.

    Args:
        encoder, encoder_options: encoder name and options.
        head, head_options: head name and options (a pretext's ``head`` spec).
        momentum: base momentum of an EMA branch (MoCo/BYOL), or ``None``.
        momentum_schedule: ``"cosine"`` or ``"constant"``.
        predictor, predictor_options: a head applied to the embeddings (``"byol_predictor"``), or ``None``.
    """
    backbone = build_encoder(encoder, encoder_options)
    head_module = build_head(head, head_options, cast(int, backbone.num_features))
    predictor_module = None
    if predictor is not None:
        predictor_module = build_head(predictor, predictor_options, cast(int, head_module.out_features),
                                      where="model.predictor")
    try:
        return PretextModel(backbone, head_module, momentum=momentum, momentum_schedule=momentum_schedule,
                            predictor=predictor_module)
    except ValueError as error:
        raise ConfigError(
            f"cannot assemble the model from encoder '{encoder}' and head '{head}': {error}"
        ) from None
