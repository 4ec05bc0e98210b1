"""The sorted-pass planner: every wanted frame once, in order, seeking only when it saves decoding."""

from __future__ import annotations

import bisect

import numpy as np
import pytest

from temporal_ssl.io.decode_plan import DecodeStep, plan_decode, unique_sorted

KEYFRAMES = (0, 10, 20, 30)


@pytest.mark.parametrize(
    ("wanted", "position", "can_seek", "expected"),
    [
        # Nothing open: start at the keyframe before the first frame, then run forward inside the GOP.
        ([12, 15, 19], None, True, [DecodeStep(10, (12, 15, 19))]),
        # A later keyframe beyond the current position: seeking skips frames.
        ([12, 25], None, True, [DecodeStep(10, (12,)), DecodeStep(20, (25,))]),
        # Already positioned inside the GOP before the frame: continue without seeking.
        ([14, 16], 13, True, [DecodeStep(None, (14, 16))]),
        # Positioned past the frame: go back to its keyframe.
        ([14], 15, True, [DecodeStep(10, (14,))]),
        # The frame's keyframe is the current position's GOP start: no seek needed.
        ([10, 11], 10, True, [DecodeStep(None, (10, 11))]),
        # Linear decoding: only restarts from 0, and never for frames ahead.
        ([12, 25, 31], None, False, [DecodeStep(0, (12, 25, 31))]),
        ([5, 40], 8, False, [DecodeStep(0, (5, 40))]),
        ([9, 40], 8, False, [DecodeStep(None, (9, 40))]),
        ([], None, True, []),
    ],
)
def test_plan_decode_cases(wanted: list[int], position: int | None, can_seek: bool,
                           expected: list[DecodeStep]) -> None:
    assert plan_decode(wanted, KEYFRAMES, position, can_seek) == expected


@pytest.mark.parametrize("seed", range(20))
def test_plan_decode_decodes_each_frame_at_most_once(seed: int) -> None:
    rng = np.random.default_rng(seed)
    num_frames = int(rng.integers(1, 400))
    keyframes = sorted({0, *rng.choice(num_frames, size=int(rng.integers(0, 12)), replace=True).tolist()})
    wanted = sorted(set(rng.choice(num_frames, size=int(rng.integers(1, 40)), replace=True).tolist()))
    position = None if rng.random() < 0.5 else int(rng.integers(0, num_frames))
    steps = plan_decode(wanted, keyframes, position, can_seek=True)

    assert [i for step in steps for i in step.frame_indices] == wanted  # all, once, in order
    decoded: list[int] = []  # simulate a decoder that decodes every frame from where it starts
    current = position
    for step in steps:
        current = current if step.start_index is None else step.start_index
        assert current is not None and current <= step.frame_indices[0]
        decoded.extend(range(current, step.frame_indices[-1] + 1))
        current = step.frame_indices[-1] + 1
    assert len(decoded) == len(set(decoded)), "a frame would be decoded twice"
    for previous, step in zip(steps, steps[1:], strict=False):
        # A later step seeks, and only when its frame's keyframe lies beyond where decoding already is.
        first = step.frame_indices[0]
        assert step.start_index == keyframes[bisect.bisect_right(keyframes, first) - 1]
        assert step.start_index > previous.frame_indices[-1] + 1


def test_unique_sorted_restores_request_order() -> None:
    request = [7, 3, 7, 0, 3, 9]
    unique, inverse = unique_sorted(request)
    assert unique.tolist() == [0, 3, 7, 9]
    assert unique[inverse].tolist() == request
