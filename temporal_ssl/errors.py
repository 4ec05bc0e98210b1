"""The exceptions users see. Every message names the file or key, says why it is wrong and what to do."""

from __future__ import annotations

from collections.abc import Sequence


class TemporalSSLError(Exception):
    """Base class of every error raised on purpose by temporal_ssl."""


class VideoDecodeError(TemporalSSLError, RuntimeError):
    """A video could not be opened or decoded.

    Carries the path, the backend and the requested frame indices so that a data pipeline can count and
    report the bad video instead of crashing.
    """

    def __init__(
        self,
        path: str,
        cause: str,
        *,
        backend: str | None = None,
        frame_indices: Sequence[int] | None = None,
    ) -> None:
        self.path = str(path)
        self.cause = cause
        self.backend = backend
        self.frame_indices = None if frame_indices is None else [int(i) for i in frame_indices]
        where = f" with backend '{backend}'" if backend else ""
        frames = ""
        if self.frame_indices:
            shown = self.frame_indices[:8]
            more = "" if len(self.frame_indices) <= 8 else f" ... ({len(self.frame_indices)} indices)"
            frames = f" (frames {shown}{more})"
        super().__init__(f"cannot decode video '{self.path}'{where}{frames}: {cause}")


class ConfigError(TemporalSSLError, ValueError):
    """A configuration key or value is unknown or impossible."""


class DatasetError(TemporalSSLError, ValueError):
    """A dataset root, annotation or split file is missing or malformed."""


class CheckpointError(TemporalSSLError, RuntimeError):
    """A checkpoint is missing, unreadable, or does not match the model it is loaded into."""


class BackendUnavailableError(TemporalSSLError, ImportError):
    """A decoding backend or device was asked for but is not installed or not present."""
