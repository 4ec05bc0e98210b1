"""Where each decoded frame of a video lies in its stream, measured once at probe time.

A frame table is the evidence behind frame exactness: frame ``i`` is the ``i``-th frame of a full sequential
decode, its presentation time is ``time_seconds(i)``, and a reader may seek only to ``keyframe_indices`` and
only with the backends listed in ``seek_exact_backends`` (verified against a sequential decode on this file).
It is stored in the corpus index so readers never rescan a file.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FrameTable:
    """Presentation timestamps and seek points of every decoded frame.

    Args:
        pts_runs: runs ``(first_pts, step, count)`` that, concatenated, give the pts of frames
            ``0..num_frames-1`` in presentation order (a constant-rate video is one run).
        time_base: seconds per pts unit.
        keyframe_indices: sorted indices of decoded frames a decoder can start from.
        seek_exact_backends: backends whose seeking was verified to return the sequential-decode frame on this
            file; any other backend must decode linearly from frame 0 to be exact.
        pts_from_decoder: whether the pts are those the decoder attaches to each frame (readers then recognise
            frames by pts); false when the file's frames lack distinct pts and the probe made them up from
            the frame rate.
    """

    pts_runs: tuple[tuple[int, int, int], ...]
    time_base: float
    keyframe_indices: tuple[int, ...]
    seek_exact_backends: tuple[str, ...] = ()
    pts_from_decoder: bool = True
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _presentation_pts: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts, total = [], 0
        for first, step, count in self.pts_runs:
            if count <= 0:
                raise ValueError(f"FrameTable run ({first}, {step}, {count}) has a non-positive count")
            starts.append(total)
            total += count
        object.__setattr__(self, "_starts", tuple(starts))
        if self.time_base <= 0:
            raise ValueError(f"FrameTable time_base must be positive, got {self.time_base}")
        if list(self.keyframe_indices) != sorted(set(self.keyframe_indices)):
            raise ValueError("FrameTable keyframe_indices must be sorted and unique")
        if self.keyframe_indices and (self.keyframe_indices[0] < 0 or self.keyframe_indices[-1] >= total):
            raise ValueError(f"FrameTable keyframe_indices must lie in [0, {total})")
        # Decoders of some files (MPEG-4 with packed B-frames in AVI) label reordered frames with swapped pts;
        # frames still come out in display order, so frame i is shown at the i-th smallest pts.
        object.__setattr__(self, "_presentation_pts", np.sort(self.all_pts()))

    @classmethod
    def from_pts(
        cls,
        pts: Sequence[int],
        time_base: float,
        keyframe_indices: Sequence[int],
        seek_exact_backends: Sequence[str] = (),
        pts_from_decoder: bool = True,
    ) -> FrameTable:
        """Build a table from the pts of every decoded frame, compressing constant-step runs."""
        runs: list[tuple[int, int, int]] = []
        i, n = 0, len(pts)
        while i < n:
            if i + 1 < n:
                step = int(pts[i + 1]) - int(pts[i])
                j = i + 1
                while j + 1 < n and int(pts[j + 1]) - int(pts[j]) == step:
                    j += 1
                runs.append((int(pts[i]), step, j - i + 1))
                i = j + 1
            else:
                runs.append((int(pts[i]), 0, 1))
                i += 1
        return cls(tuple(runs), float(time_base), tuple(int(k) for k in keyframe_indices),
                   tuple(seek_exact_backends), pts_from_decoder)

    @property
    def num_frames(self) -> int:
        """Number of frames a full sequential decode yields."""
        return sum(count for _, _, count in self.pts_runs)

    def pts(self, index: int) -> int:
        """Presentation timestamp (in ``time_base`` units) of decoded frame ``index``."""
        if not 0 <= index < self.num_frames:
            raise IndexError(f"frame index {index} is outside [0, {self.num_frames})")
        run = bisect.bisect_right(self._starts, index) - 1
        first, step, _ = self.pts_runs[run]
        return first + step * (index - self._starts[run])

    def all_pts(self) -> np.ndarray:
        """The pts of every frame as an int64 array of length ``num_frames``."""
        parts = [first + step * np.arange(count, dtype=np.int64) for first, step, count in self.pts_runs]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def time_seconds(self, index: int) -> float:
        """Presentation time of frame ``index`` relative to frame 0, in seconds.

        This is the ``index``-th smallest pts, which equals ``pts(index)`` except in files whose decoder
        mislabels reordered frames (MPEG-4 with packed B-frames in AVI).
        """
        if not 0 <= index < self.num_frames:
            raise IndexError(f"frame index {index} is outside [0, {self.num_frames})")
        return float(self._presentation_pts[index] - self._presentation_pts[0]) * self.time_base

    def presentation_seconds(self) -> np.ndarray:
        """float64 ``[num_frames]``: when each frame is shown, on the stream's clock (not from frame 0)."""
        return self._presentation_pts * self.time_base

    def keyframe_at_or_before(self, index: int) -> int:
        """The last keyframe index <= ``index`` (0 when the table lists none before it)."""
        pos = bisect.bisect_right(self.keyframe_indices, index) - 1
        return self.keyframe_indices[pos] if pos >= 0 else 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, inverse of :meth:`from_dict`."""
        return {
            "pts_runs": [list(run) for run in self.pts_runs],
            "time_base": self.time_base,
            "keyframe_indices": list(self.keyframe_indices),
            "seek_exact_backends": list(self.seek_exact_backends),
            "pts_from_decoder": self.pts_from_decoder,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FrameTable:
        """Rebuild a table written by :meth:`to_dict`."""
        return cls(
            tuple(tuple(int(v) for v in run) for run in data["pts_runs"]),  # type: ignore[misc]
            float(data["time_base"]),
            tuple(int(k) for k in data["keyframe_indices"]),
            tuple(str(b) for b in data.get("seek_exact_backends", ())),
            bool(data.get("pts_from_decoder", True)),
        )
