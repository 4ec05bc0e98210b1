"""Plan one sorted decoding pass over the frames a caller asked for (pure functions, no decoding).

A request is sorted and deduplicated, then walked forward: the decoder keeps going from where it is unless
the next wanted frame lies behind it, or lies beyond a keyframe that is beyond it (then a seek skips work).
Every frame is decoded at most once per request, with at most one seek per run of nearby frames.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class DecodeStep:
    """One stretch of forward decoding.

    Args:
        start_index: the keyframe to seek to (or, for a linear decoder, 0 to restart from the beginning)
            before decoding; ``None`` to continue from the decoder's current position.
        frame_indices: the wanted frames this stretch yields, ascending.
    """

    start_index: int | None
    frame_indices: tuple[int, ...]


def unique_sorted(indices: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique indices, and each request position's row in them (``unique[inverse] == indices``)."""
    array = np.asarray(indices, dtype=np.int64).reshape(-1)
    unique, inverse = np.unique(array, return_inverse=True)
    return unique, inverse.reshape(-1)


def plan_decode(
    wanted: Sequence[int],
    keyframe_indices: Sequence[int],
    position: int | None,
    can_seek: bool,
) -> list[DecodeStep]:
    """Split sorted unique ``wanted`` frames into forward decoding steps.

    Args:
        wanted: ascending, unique frame indices.
        keyframe_indices: ascending indices a decoder can start from (frame 0 is always one).
        position: index of the next frame the open decoder would yield, or ``None`` when nothing is open.
        can_seek: whether seeking to a keyframe is verified exact for this file; when false the only way back
            is a restart from frame 0 (a linear decode).
    """
    steps: list[DecodeStep] = []
    current: list[int] = []
    start: int | None = None
    for index in wanted:
        keyframe = _keyframe_at_or_before(keyframe_indices, index) if can_seek else 0
        must_restart = position is None or position > index
        worth_seeking = can_seek and position is not None and keyframe > position
        if must_restart or worth_seeking:
            if current:
                steps.append(DecodeStep(start, tuple(current)))
            start, current = keyframe, []
        current.append(int(index))
        position = int(index) + 1
    if current:
        steps.append(DecodeStep(start, tuple(current)))
    return steps


def _keyframe_at_or_before(keyframe_indices: Sequence[int], index: int) -> int:
    pos = bisect.bisect_right(keyframe_indices, index) - 1
    return int(keyframe_indices[pos]) if pos >= 0 else 0
