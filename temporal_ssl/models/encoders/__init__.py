"""Encoders, registered in ``temporal_ssl.registry.ENCODERS`` by their config names (see ``contract``)."""

from temporal_ssl.models.encoders import (
    bottleneck_resnet,
    c3d,
    caffenet,
    frame_resnet,
    small_cnn,
    video_resnet,
    video_vit,
)
from temporal_ssl.models.encoders.contract import VideoEncoder, check_video_input

__all__ = [
    "VideoEncoder",
    "bottleneck_resnet",
    "c3d",
    "caffenet",
    "check_video_input",
    "frame_resnet",
    "small_cnn",
    "video_resnet",
    "video_vit",
]
