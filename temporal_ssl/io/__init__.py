"""Frame-exact video decoding: files in, ``uint8 [T, C, H, W]`` frames out.

Frame ``i`` is the ``i``-th frame of a full sequential PyAV decode, whatever the backend or codec. A probe
(:func:`probe_video`) decodes the file once, records every frame's pts and keyframe flag, and verifies per
backend that seeking lands where the sequential decode says; readers seek only with verified backends and
otherwise decode linearly from frame 0. Every request is decoded in one sorted pass.

Example::

    from temporal_ssl.io import open_video, probe_video

    metadata = probe_video("clip.mp4")              # once, e.g. while indexing a corpus
    with open_video("clip.mp4", metadata=metadata) as reader:
        frames = reader.get_frames([0, 8, 16, 8], size=(112, 112))   # uint8 [4, 3, 112, 112]
"""

from __future__ import annotations

import logging
import os

from temporal_ssl.errors import ConfigError, VideoDecodeError
from temporal_ssl.io.backends import BACKEND_NAMES, available_backends, check_backend_name
from temporal_ssl.io.container import check_video_path
from temporal_ssl.io.probe import probe_video
from temporal_ssl.io.reader import VideoReader, log_linear_fallback
from temporal_ssl.io.select import check_device, choose_decoder
from temporal_ssl.types import VideoMetadata

logger = logging.getLogger(__name__)

__all__ = ["BACKEND_NAMES", "VideoReader", "available_backends", "open_video", "probe_video"]


def open_video(
    path: str | os.PathLike[str],
    backend: str = "auto",
    device: str = "cpu",
    *,
    metadata: VideoMetadata | None = None,
    num_threads: int = 1,
) -> VideoReader:
    """Open a video for frame-exact random access.

    Args:
        path: the video file.
        backend: ``"auto"`` (the fastest backend verified exact on this file, see ``select.py``), ``"pyav"``,
            ``"torchcodec"`` or ``"decord"``. A backend not verified on this file decodes linearly with PyAV.
        device: ``"cpu"``, or ``"cuda"``/``"cuda:N"`` to decode with torchcodec's NVDEC decoder and return
            CUDA tensors (never chosen by ``auto``); a file on which torchcodec's seeking is not verified is
            decoded exactly by PyAV on the CPU and its frames are moved to the GPU.
        metadata: the file's :func:`probe_video` result (e.g. from a corpus index); opening is then cheap.
            Without it the file is probed, verifying only the backend this open needs (once per process;
            later opens reuse the cached probe).
        num_threads: decoder threads; 1 by default, as DataLoader workers provide the parallelism.

    Raises:
        VideoDecodeError: the file is missing, not a video, or cannot be decoded.
        BackendUnavailableError: the backend is not installed, or ``device="cuda"`` without a GPU.
        ConfigError: an unknown backend or device name, or ``num_threads`` below 1.
    """
    path = os.fspath(path)
    check_backend_name(backend)
    device = check_device(device, backend)
    if not isinstance(num_threads, int) or num_threads < 1:
        raise ConfigError(f"num_threads must be an int >= 1, got {num_threads!r}")
    if metadata is None or _is_stale(path, metadata):
        metadata = _probe_for(path, backend, device)
    elif metadata.frame_table is None:
        raise VideoDecodeError(path, "the metadata given has no frame table; pass probe_video()'s result")
    choice = choose_decoder(metadata, backend, device)
    if not choice.seeks:
        log_linear_fallback(path, "no installed backend seeks exactly on this file" if backend == "auto"
                            else f"seeking with '{backend}' is not verified exact on this file")
    return VideoReader(metadata, choice, device=device, num_threads=num_threads)


def _probe_for(path: str, backend: str, device: str) -> VideoMetadata:
    """Probe verifying only what this open needs: the backend asked for, or for ``auto`` the preferred
    backends in turn until one seeks exactly (the cached probe makes later checks of others cheap)."""
    if device != "cpu":
        return probe_video(path, backends=("torchcodec",))
    if backend != "auto":
        return probe_video(path, backends=(backend,))
    names = available_backends()
    for name in names:
        metadata = probe_video(path, backends=(name,))
        if metadata.frame_table is not None and name in metadata.frame_table.seek_exact_backends:
            return metadata
    return metadata if names else probe_video(path, backends=())


def _is_stale(path: str, metadata: VideoMetadata) -> bool:
    """Whether the file changed since ``metadata`` was probed (then its frame table cannot be trusted)."""
    if metadata.file_size < 0 or metadata.mtime_ns < 0:
        return False
    info = check_video_path(path)
    if (info.st_size, info.st_mtime_ns) == (metadata.file_size, metadata.mtime_ns):
        return False
    logger.warning("%s changed since it was probed (size or modification time differ); probing it again",
                   path)
    return True
