"""temporal_ssl: self-supervised video representation learning from time itself."""

from temporal_ssl.errors import (
    BackendUnavailableError,
    CheckpointError,
    ConfigError,
    DatasetError,
    TemporalSSLError,
    VideoDecodeError,
)

__version__ = "0.1.0"

__all__ = [
    "BackendUnavailableError",
    "CheckpointError",
    "ConfigError",
    "DatasetError",
    "TemporalSSLError",
    "VideoDecodeError",
    "__version__",
]
