"""What every backend decoder offers the reader, and how a decoder reports that it cannot be trusted.

A decoder owns one library handle for one file. It receives sorted unique frame indices (a plan made by the
reader) and returns the frames upright, at the requested size, as ``uint8 [N, H, W, 3]``. The reader does
everything else: validation, request order, repeats, fallback, the ``[T, C, H, W]`` layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from temporal_ssl.frame_table import FrameTable


class SeekMismatchError(Exception):
    """A decoder noticed that what it decoded is not where the frame table says (internal; never escapes).

    The reader answers it by decoding the request again linearly with PyAV, the definition of truth.
    """


@dataclass
class DecodeStats:
    """Counters a decoder keeps, so tests and benchmarks can see how much work a request cost."""

    frames_decoded: int = 0
    frames_converted: int = 0
    seeks: int = 0
    restarts: int = 0


class FrameDecoder(Protocol):
    """A backend decoder bound to one file."""

    name: str
    stats: DecodeStats

    def decode_sorted(self, indices: Sequence[int], size: tuple[int, int] | None) -> torch.Tensor:
        """Frames ``indices`` (ascending, unique) as upright ``uint8 [N, H, W, 3]``, resized to ``size``."""
        ...

    def close(self) -> None:
        """Release the file and the library's decoder."""
        ...


def matches_presentation_times(frame_table: FrameTable, indices: Sequence[int], seconds: np.ndarray) -> bool:
    """Whether a backend's timestamps for frames ``indices`` are the probe's presentation times.

    The tolerance is half the smallest gap between consecutive frames, so a frame off by one always fails.
    """
    expected = frame_table.presentation_seconds()
    gaps = np.diff(expected)
    gaps = gaps[gaps > 0]
    tolerance = float(gaps.min()) / 2 if gaps.size else 1e-3
    got = np.asarray(seconds, dtype=np.float64).reshape(-1)
    return got.shape[0] == len(indices) and bool(np.all(np.abs(got - expected[list(indices)]) < tolerance))
