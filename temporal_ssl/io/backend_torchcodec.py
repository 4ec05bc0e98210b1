"""torchcodec decoder (CPU, or NVDEC on CUDA): one ``get_frames_at`` per request, resized at decode time.

Index mapping: ``seek_mode="exact"`` scans the packets and numbers frames in pts order, which is our index
only when torchcodec counts the same number of frames as a sequential decode; that is checked when the
decoder opens, and every returned frame's pts is checked against the probe's presentation time (an
off-by-one frame fails). Pixels are checked at probe time (``seek_check.py``). torchcodec applies the display
rotation itself; its ``Resize`` transform takes the upright output size and antialiases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from temporal_ssl.frame_table import FrameTable
from temporal_ssl.io.decoder import DecodeStats, SeekMismatchError, matches_presentation_times
from temporal_ssl.io.geometry import resize_frames


class TorchCodecDecoder:
    """Decodes one file with torchcodec.

    Args:
        path: the video file.
        frame_table: the probe's frame table, to check torchcodec's numbering and timestamps against.
        device: ``"cpu"`` or a CUDA device (NVDEC); frames are returned on it.
        num_threads: FFmpeg decoder threads (CPU only).
    """

    name = "torchcodec"

    def __init__(self, path: str, frame_table: FrameTable, *, device: str = "cpu", num_threads: int = 1):
        from torchcodec.decoders import VideoDecoder
        from torchcodec.transforms import Resize

        self._video_decoder_class, self._resize_class = VideoDecoder, Resize
        self.path = path
        self.frame_table = frame_table
        self.device = device
        self.num_threads = num_threads
        self.stats = DecodeStats()
        self._decoder: Any = None
        self._size: tuple[int, int] | None = None
        self._resizes_at_decode = True

    def decode_sorted(self, indices: Sequence[int], size: tuple[int, int] | None) -> torch.Tensor:
        wanted = [int(i) for i in indices]
        try:
            batch = self._open(size).get_frames_at(wanted)
        except (RuntimeError, ValueError, NotImplementedError):
            if size is None or not self._resizes_at_decode:
                raise
            # A device/version that cannot resize while decoding: decode full size, resize right after.
            self._decoder, self._resizes_at_decode = None, False
            batch = self._open(size).get_frames_at(wanted)
        if not matches_presentation_times(self.frame_table, wanted, batch.pts_seconds.cpu().numpy()):
            raise SeekMismatchError("torchcodec returned frames whose pts are not the requested frames'")
        self.stats.frames_converted += len(wanted)
        frames = batch.data
        if size is not None and not self._resizes_at_decode:
            frames = resize_frames(frames, size)
        return frames

    def close(self) -> None:
        self._decoder = None  # torchcodec frees its decoder when the object is garbage-collected

    def _open(self, size: tuple[int, int] | None) -> Any:
        if self._decoder is not None and self._size == size:
            return self._decoder
        resizing = size is not None and self._resizes_at_decode
        decoder = self._new_decoder([self._resize_class(size)] if size is not None and resizing else None)
        expected = self.frame_table.num_frames
        if decoder.metadata.num_frames != expected:
            raise SeekMismatchError(
                f"torchcodec counts {decoder.metadata.num_frames} frames, a sequential decode {expected}")
        self._decoder, self._size = decoder, size
        return decoder

    def _new_decoder(self, transforms: list[Any] | None) -> Any:
        return self._video_decoder_class(self.path, seek_mode="exact", dimension_order="NHWC",
                                         num_ffmpeg_threads=self.num_threads, device=self.device,
                                         transforms=transforms)
