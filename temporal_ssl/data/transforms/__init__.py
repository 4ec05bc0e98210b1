"""Temporally consistent video augmentations: one random draw per clip, on CPU per clip or batched."""

from __future__ import annotations

from temporal_ssl.data.transforms.params import COLOR_OPS, AugmentParams, sample_params
from temporal_ssl.data.transforms.video_transforms import (
    KINETICS_MEAN,
    KINETICS_STD,
    VIEW_OPTIONS,
    VideoAugmentation,
    VideoEvalTransform,
)

__all__ = [
    "COLOR_OPS",
    "KINETICS_MEAN",
    "KINETICS_STD",
    "VIEW_OPTIONS",
    "AugmentParams",
    "VideoAugmentation",
    "VideoEvalTransform",
    "sample_params",
]
