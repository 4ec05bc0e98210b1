"""Clips to features: encoders, heads, the pretext model with its optional momentum branch.

Importing this package registers every encoder and head (``temporal_ssl.registry.ENCODERS`` / ``HEADS``).
"""

from temporal_ssl.models.build import build_encoder, build_head, build_pretext_model
from temporal_ssl.models.encoders import VideoEncoder
from temporal_ssl.models.momentum import momentum_at, update_momentum
from temporal_ssl.models.output import ModelOutput
from temporal_ssl.models.pretext_model import PretextModel
from temporal_ssl.models.weights import WeightsMeta, export_encoder, load_weights

__all__ = [
    "ModelOutput",
    "PretextModel",
    "VideoEncoder",
    "WeightsMeta",
    "build_encoder",
    "build_head",
    "build_pretext_model",
    "export_encoder",
    "load_weights",
    "momentum_at",
    "update_momentum",
]
