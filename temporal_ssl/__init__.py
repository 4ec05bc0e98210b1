"""temporal_ssl: self-supervised video representation learning from time itself.

The names below are the public front door; they are imported on first use so that ``import temporal_ssl.io``
in a DataLoader worker does not pull in the training engine.
"""

from __future__ import annotations

import importlib
from typing import Any

from temporal_ssl.errors import (
    BackendUnavailableError,
    CheckpointError,
    ConfigError,
    DatasetError,
    TemporalSSLError,
    VideoDecodeError,
)

__version__ = "0.1.0"

_LAZY = {
    "open_video": "temporal_ssl.io",
    "probe_video": "temporal_ssl.io",
    "available_backends": "temporal_ssl.io",
    "build_index": "temporal_ssl.data",
    "load_index": "temporal_ssl.data",
    "VideoIndex": "temporal_ssl.data",
    "VideoAugmentation": "temporal_ssl.data",
    "VideoEvalTransform": "temporal_ssl.data",
    "DataConfig": "temporal_ssl.pipeline",
    "LoaderConfig": "temporal_ssl.pipeline",
    "build_loader": "temporal_ssl.pipeline",
    "load_records": "temporal_ssl.pipeline",
    "decode_views": "temporal_ssl.pipeline",
    "build_encoder": "temporal_ssl.models",
    "export_encoder": "temporal_ssl.models",
    "build_head": "temporal_ssl.models",
    "pretrain": "temporal_ssl.engine",
    "load_pretrain_config": "temporal_ssl.engine",
    "load_pretrained": "temporal_ssl.engine",
}

__all__ = [
    "BackendUnavailableError",
    "CheckpointError",
    "ConfigError",
    "DatasetError",
    "TemporalSSLError",
    "VideoDecodeError",
    "__version__",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'temporal_ssl' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
