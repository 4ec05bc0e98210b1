"""The frame-exact video reader returned by ``open_video``.

A reader checks a request, decodes its sorted unique frames in one pass through a backend decoder, and puts
them back in the order asked, repeats included, as ``uint8 [T, C, H, W]`` RGB, upright. It opens its file
lazily, in the process that first decodes (so it can be created in the main process and pickled or forked
into DataLoader workers), keeps the decoder's position between calls (a forward-moving sequence of requests
never re-seeks), and closes the file on ``close()`` or when used as a context manager.

If a backend's own consistency checks fail during a request (a pts or frame count that the probe's frame
table does not predict), the request is decoded again linearly with PyAV and the reader stays on that path:
it never returns a frame it cannot vouch for.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import numpy as np
import torch

from temporal_ssl.errors import TemporalSSLError, VideoDecodeError
from temporal_ssl.io.decode_plan import unique_sorted
from temporal_ssl.io.decoder import DecodeStats, FrameDecoder, SeekMismatchError
from temporal_ssl.io.geometry import check_size
from temporal_ssl.io.select import DecoderChoice, build_decoder
from temporal_ssl.types import VideoMetadata

logger = logging.getLogger(__name__)

# Conditions already logged in this process, each with the files it applied to.
_FALLBACKS: dict[str, set[str]] = {}


def log_linear_fallback(path: str, condition: str, *, level: int = logging.INFO) -> None:
    """Count a file decoded linearly because of ``condition``; only the first file of each condition is
    logged (in each process), so a corpus of such files gives one line, not one per file."""
    files = _FALLBACKS.setdefault(condition, set())
    if not files:
        logger.log(level, "decoding linearly from frame 0 with PyAV (exact, slower on long videos) where %s, "
                   "e.g. %s; further files with this condition are counted, not logged", condition, path)
    files.add(path)


class VideoReader:
    """Reads frames of one video by their index in a full sequential decode.

    Create readers with :func:`temporal_ssl.io.open_video`.

    Args:
        metadata: the probe's metadata (with its frame table).
        choice: the backend that decodes and whether it may seek.
        device: where returned frames live (``"cpu"`` or a CUDA device).
        num_threads: decoder threads.
    """

    def __init__(self, metadata: VideoMetadata, choice: DecoderChoice, *, device: str = "cpu",
                 num_threads: int = 1) -> None:
        self._metadata = metadata
        self._choice = choice
        self._device = device
        self._num_threads = num_threads
        self._decoder: FrameDecoder | None = None

    @property
    def metadata(self) -> VideoMetadata:
        """What the probe measured: frames, fps, upright size, duration, codec, rotation, frame table."""
        return self._metadata

    @property
    def backend(self) -> str:
        """The backend that decodes (``"pyav"`` when the requested one is not verified exact on this file)."""
        return self._choice.backend

    @property
    def decodes_linearly(self) -> bool:
        """True when no seek is trusted on this file, so frames are reached by decoding from frame 0."""
        return not self._choice.seeks

    @property
    def stats(self) -> DecodeStats:
        """Work done by the current decoder: frames decoded and converted, seeks, restarts."""
        return self._decoder.stats if self._decoder is not None else DecodeStats()

    def get_frames(self, indices: Sequence[int] | np.ndarray | torch.Tensor,
                   size: tuple[int, int] | None = None) -> torch.Tensor:
        """Frames ``indices`` in the order asked (repeats allowed) as ``uint8 [T, C, H, W]`` RGB, upright.

        The result is a channels-last view (``.permute`` of ``[T, H, W, C]``); call ``.contiguous()`` if you
        need a contiguous ``[T, C, H, W]`` buffer.

        Args:
            indices: frame indices in ``[0, metadata.num_frames)``.
            size: output ``(height, width)``; resized while decoding where the backend can (antialiased),
                otherwise right after. ``None`` keeps the upright decoded size.

        Raises:
            VideoDecodeError: an index is out of range, or the file cannot be decoded.
        """
        size = check_size(size)
        wanted = self._check_indices(indices)
        if wanted.size == 0:
            height, width = size or (self._metadata.height, self._metadata.width)
            return torch.zeros((0, 3, height, width), dtype=torch.uint8, device=self._device)
        unique, inverse = unique_sorted(wanted)
        frames = self._decode(unique.tolist(), size).to(self._device)
        if unique.size != wanted.size or np.any(unique != wanted):
            # numpy gathers CPU frames single-threaded: torch's thread pool costs more than this copy.
            frames = (torch.from_numpy(frames.numpy()[inverse]) if frames.device.type == "cpu"
                      else frames.index_select(0, torch.from_numpy(inverse).to(frames.device)))
        return frames.permute(0, 3, 1, 2)

    def close(self) -> None:
        """Close the file; the reader reopens it if asked for frames again."""
        if self._decoder is not None:
            self._decoder.close()
            self._decoder = None

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_decoder"] = None  # library handles stay in their process; the copy reopens lazily
        return state

    def __repr__(self) -> str:
        mode = "linear" if self.decodes_linearly else "seek"
        return (f"VideoReader('{self._metadata.path}', backend='{self.backend}' ({mode}), "
                f"frames={self._metadata.num_frames}, device='{self._device}')")

    def _check_indices(self, indices: Sequence[int] | np.ndarray | torch.Tensor) -> np.ndarray:
        if isinstance(indices, torch.Tensor):
            indices = indices.detach().cpu().numpy()
        array = np.asarray(indices).reshape(-1)
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise TypeError(f"frame indices must be integers, got dtype {array.dtype} for "
                            f"'{self._metadata.path}'")
        array = array.astype(np.int64)
        count = self._metadata.num_frames
        bad = array[(array < 0) | (array >= count)]
        if bad.size:
            raise VideoDecodeError(
                self._metadata.path,
                f"frame index {int(bad[0])} is outside [0, {count}): the video has {count} frames "
                "(a full sequential decode); ask for indices below metadata.num_frames",
                backend=self.backend, frame_indices=array.tolist())
        return array

    def _decode(self, unique: list[int], size: tuple[int, int] | None) -> torch.Tensor:
        try:
            try:
                return self._current_decoder().decode_sorted(unique, size)
            except SeekMismatchError as mismatch:
                logger.debug("%s: %s %s", self._metadata.path, self.backend, mismatch)
                log_linear_fallback(self._metadata.path, f"{self.backend}'s frames disagree with the probe's "
                                    "frame table", level=logging.WARNING)
                self.close()
                self._choice = DecoderChoice("pyav", False)
                return self._current_decoder().decode_sorted(unique, size)
        except TemporalSSLError:
            raise
        except Exception as error:  # third-party decoders raise many kinds; callers count one kind
            raise VideoDecodeError(self._metadata.path, f"{type(error).__name__}: {error}",
                                   backend=self.backend, frame_indices=unique) from error

    def _current_decoder(self) -> FrameDecoder:
        if self._decoder is None:
            self._decoder = build_decoder(self._metadata, self._choice, device=self._device,
                                          num_threads=self._num_threads)
        return self._decoder
