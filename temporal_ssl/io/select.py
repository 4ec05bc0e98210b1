"""Which decoder reads a file: the ``auto`` choice, the exact fallback, and building the decoder.

``auto`` takes the first installed backend of ``BACKEND_NAMES`` whose seeking was verified on the file, and
PyAV decoding linearly from frame 0 when none was. PyAV comes first because ``python -m benchmarks.decode``
measured it fastest through this package's reader: on a generated Kinetics-like set (H.264, 456x256, 10 s,
x264 defaults; output 112x112, single thread) the PyAV path gave 17.0 / 42.8 / 60.6 / 5.9 clips/s on a single
16-frame clip / VCOP / 5 scattered frames / full decode, against 12.6 / 30.7 / 49.4 / 3.6 through the
torchcodec path and 12.5 / 31.5 / 52.1 / 5.1 through the decord path; on 4 independent clips all three were
within the run's noise (37.6 / 38.9 / 47.0, ranges overlapping). Preliminary figures from a busy 2-core
machine; the issue's author measured a plain PyAV keyframe-seek reader 1.1-1.8x ahead of decord and
torchcodec, with opening under 1.5 ms for every library. ``auto`` never picks a GPU: ``device="cuda"`` is a
separate, explicit choice and always means torchcodec's NVDEC decoder.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from temporal_ssl.errors import BackendUnavailableError, ConfigError
from temporal_ssl.io.backends import BACKEND_NAMES, available_backends, check_backend_name, require_backend
from temporal_ssl.io.decoder import FrameDecoder
from temporal_ssl.types import VideoMetadata


@dataclass(frozen=True)
class DecoderChoice:
    """What will decode a file: a backend, and whether it may seek (``False``: linear PyAV from frame 0)."""

    backend: str
    seeks: bool


def check_device(device: str | torch.device, backend: str) -> str:
    """Normalise ``device`` and check it can be served; raises a clear error when it cannot."""
    name = str(device)
    if name == "cpu":
        return name
    if not name.startswith("cuda"):
        raise ConfigError(f"device must be 'cpu' or 'cuda[:N]', got '{name}'")
    if backend not in ("auto", "torchcodec"):
        raise ConfigError(f"device='{name}' decodes with torchcodec's NVDEC decoder; backend '{backend}' "
                          "decodes on the CPU only. Use backend='torchcodec' (or 'auto') with device='cuda'.")
    if not torch.cuda.is_available():
        raise BackendUnavailableError(
            f"device='{name}' needs an NVIDIA GPU with a working driver, but torch.cuda.is_available() is "
            "False on this machine; decode with device='cpu', or install a CUDA build of torch on a GPU host")
    require_backend("torchcodec")
    return name


def choose_decoder(metadata: VideoMetadata, backend: str, device: str) -> DecoderChoice:
    """The decoder for ``backend`` (or ``auto``) on this file, falling back to exact linear PyAV decoding."""
    check_backend_name(backend)
    verified = metadata.frame_table.seek_exact_backends if metadata.frame_table is not None else ()
    if device != "cpu":
        backend = "torchcodec"
    if backend == "auto":
        installed = available_backends()
        for name in BACKEND_NAMES:
            if name in installed and name in verified:
                return DecoderChoice(name, True)
        return DecoderChoice("pyav", False)
    require_backend(backend)
    if backend in verified:
        return DecoderChoice(backend, True)
    # Unverified (on CUDA too: NVDEC seeks like torchcodec on the CPU): decode linearly with PyAV.
    return DecoderChoice("pyav", False)


def build_decoder(
    metadata: VideoMetadata, choice: DecoderChoice, *, device: str = "cpu", num_threads: int = 1
) -> FrameDecoder:
    """A fresh decoder for ``metadata.path`` as ``choice`` says (it opens the file on its first request)."""
    if metadata.frame_table is None:
        raise ConfigError(f"metadata of '{metadata.path}' has no frame table; get it from probe_video()")
    if choice.backend == "pyav":
        from temporal_ssl.io.backend_pyav import PyAVDecoder

        return PyAVDecoder(metadata.path, metadata.frame_table, metadata.rotation, seek=choice.seeks,
                           num_threads=num_threads)
    if choice.backend == "decord":
        from temporal_ssl.io.backend_decord import DecordDecoder

        return DecordDecoder(metadata.path, metadata.frame_table, num_threads=num_threads)
    if choice.backend == "torchcodec":
        from temporal_ssl.io.backend_torchcodec import TorchCodecDecoder

        return TorchCodecDecoder(metadata.path, metadata.frame_table, device=device, num_threads=num_threads)
    raise ConfigError(f"unknown video backend '{choice.backend}'; valid: {', '.join(BACKEND_NAMES)}")
