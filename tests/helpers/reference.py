"""The oracle: a plain full sequential PyAV decode, written independently of ``temporal_ssl.io``.

Frame ``i`` of a video is the ``i``-th frame this decode yields; tests compare every reader against it. The
decoder is single-threaded like the package's default: FFmpeg conceals damaged frames differently with slice
threads, so only one threading setting defines the pixels of a damaged file. On a decoding error the oracle
stops and records it (the package goes on past undecodable packets, like the ``ffmpeg`` command line).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from temporal_ssl.frame_table import FrameTable
from tests.helpers.video_factory import read_barcode


@dataclass
class SequentialDecode:
    """What a sequential decode saw: per-frame pts, keyframe flags and barcodes, and the frames kept."""

    pts: list[int | None]
    keyframes: list[int]
    barcodes: list[int]
    frames: dict[int, np.ndarray]
    error: str | None = None

    @property
    def num_frames(self) -> int:
        return len(self.pts)


def decode_sequentially(path: str | Path, keep: Iterable[int] | None = None,
                        read_barcodes: bool = True) -> SequentialDecode:
    """Decode every frame of ``path`` in order; keep upright RGB ``[H, W, 3]`` frames ``keep`` (all if None).

    Barcodes are read from the upright frame (skip with ``read_barcodes=False`` for real videos, which have
    none); rotation follows the display matrix (counter-clockwise).
    """
    wanted = None if keep is None else set(keep)
    pts: list[int | None] = []
    keyframes: list[int] = []
    barcodes: list[int] = []
    frames: dict[int, np.ndarray] = {}
    error = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        try:
            for index, frame in enumerate(container.decode(stream)):
                pts.append(frame.pts)
                if frame.key_frame:
                    keyframes.append(index)
                if not read_barcodes and wanted is not None and index not in wanted:
                    continue
                rgb = frame.to_ndarray(format="rgb24")
                turns = int(round((frame.rotation or 0) / 90)) % 4
                if turns:
                    rgb = np.ascontiguousarray(np.rot90(rgb, k=turns))
                if read_barcodes:
                    barcodes.append(read_barcode(rgb))
                if wanted is None or index in wanted:
                    frames[index] = rgb
        except av.FFmpegError as failure:
            error = f"{type(failure).__name__}: {failure}"
    return SequentialDecode(pts, keyframes, barcodes, frames, error)


def frame_index_at_time(table: FrameTable, seconds: float) -> int:
    """Index of the frame a table shows ``seconds`` after frame 0: the last one whose time is <= seconds."""
    times = np.array([table.time_seconds(i) for i in range(table.num_frames)])
    index = int(np.searchsorted(times, seconds + 1e-9, side="right")) - 1
    return min(max(index, 0), table.num_frames - 1)
