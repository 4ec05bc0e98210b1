"""decord decoder: one ``get_batch`` per request, resized at decode time by decord's scaler where it can.

Index mapping: decord numbers the frames of its packet index, which is our index only when decord counts the
same number of frames and its per-frame timestamps equal the probe's presentation times; both are checked when
the decoder opens, and pixels are checked at probe time (``seek_check.py``). decord applies the display
rotation itself, and its ``width``/``height`` are the upright output size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from temporal_ssl.frame_table import FrameTable
from temporal_ssl.io.decoder import DecodeStats, SeekMismatchError, matches_presentation_times
from temporal_ssl.io.geometry import resize_frames


class DecordDecoder:
    """Decodes one file with decord (CPU).

    Args:
        path: the video file.
        frame_table: the probe's frame table, to check decord's numbering against.
        num_threads: decoder threads.
    """

    name = "decord"

    def __init__(self, path: str, frame_table: FrameTable, *, num_threads: int = 1):
        import decord

        # decord's FFmpeg logs every damaged macroblock to stderr; errors reach us as exceptions anyway.
        decord.logging.set_level(decord.logging.QUIET)
        self._decord = decord
        self.path = path
        self.frame_table = frame_table
        self.num_threads = num_threads
        self.stats = DecodeStats()
        self._reader: Any = None
        self._size: tuple[int, int] | None = None
        self._resizes_at_decode = True

    def decode_sorted(self, indices: Sequence[int], size: tuple[int, int] | None) -> torch.Tensor:
        wanted = [int(i) for i in indices]
        self.stats.frames_converted += len(wanted)
        if size is not None and self._resizes_at_decode:
            try:
                return torch.from_numpy(self._open(size).get_batch(wanted).asnumpy())
            except self._decord.DECORDError:
                # decord 0.6's scaler fails for some small widths (e.g. 16, 24): resize after decoding.
                self._resizes_at_decode = False
        frames = torch.from_numpy(self._open(None).get_batch(wanted).asnumpy())
        return frames if size is None else resize_frames(frames, size)

    def close(self) -> None:
        self._reader = None  # decord closes its file when the reader is garbage-collected

    def _open(self, size: tuple[int, int] | None) -> Any:
        if self._reader is not None and self._size == size:
            return self._reader
        height, width = size if size is not None else (-1, -1)
        reader = self._decord.VideoReader(self.path, ctx=self._decord.cpu(0), width=width, height=height,
                                          num_threads=self.num_threads)
        expected = self.frame_table.num_frames
        if len(reader) != expected:
            raise SeekMismatchError(f"decord counts {len(reader)} frames, a sequential decode {expected}")
        every_frame = list(range(expected))
        times = np.asarray(reader.get_frame_timestamp(every_frame))[:, 0]
        if not matches_presentation_times(self.frame_table, every_frame, times):
            raise SeekMismatchError("decord's frame timestamps differ from the sequential decode's")
        self._reader, self._size = reader, size
        return reader

