"""The access patterns the decoding benchmark times: what pretexts ask of one video per training sample.

Each pattern turns a video length and a random generator into clips (lists of frame indices); every reader
is asked the same clips. Videos shorter than a pattern's span get indices clamped to the last frame.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Clips = list[list[int]]


def _clamped(indices: np.ndarray, num_frames: int) -> list[int]:
    return np.minimum(indices, num_frames - 1).astype(int).tolist()


def _random_start(rng: np.random.Generator, num_frames: int, span: int) -> int:
    return int(rng.integers(0, max(1, num_frames - span + 1)))


def single_clip(num_frames: int, rng: np.random.Generator) -> Clips:
    """(a) One 16-frame clip at stride 2 from a random start (clip classification, CVRL views)."""
    start = _random_start(rng, num_frames, 31)
    return [_clamped(start + 2 * np.arange(16), num_frames)]


def vcop_clips(num_frames: int, rng: np.random.Generator) -> Clips:
    """(b) VCOP: 3 consecutive 16-frame clips separated by 8-frame gaps."""
    start = _random_start(rng, num_frames, 3 * 16 + 2 * 8)
    return [_clamped(start + c * 24 + np.arange(16), num_frames) for c in range(3)]


def scattered_frames(num_frames: int, rng: np.random.Generator) -> Clips:
    """(c) 5 single frames scattered over the video (Shuffle & Learn tuples)."""
    count = min(5, num_frames)
    frames = np.sort(rng.choice(num_frames, size=count, replace=False))
    return [[int(f)] for f in frames]


def independent_clips(num_frames: int, rng: np.random.Generator) -> Clips:
    """(d) 4 clips of 8 frames at stride 8, each placed independently over the whole video (rho-MoCo)."""
    return [_clamped(_random_start(rng, num_frames, 57) + 8 * np.arange(8), num_frames) for _ in range(4)]


def full_video(num_frames: int, rng: np.random.Generator) -> Clips:
    """(e) Every frame, in order (feature extraction, probing)."""
    return [list(range(num_frames))]


PATTERNS: dict[str, Callable[[int, np.random.Generator], Clips]] = {
    "a_single_clip": single_clip,
    "b_vcop": vcop_clips,
    "c_scattered": scattered_frames,
    "d_independent_clips": independent_clips,
    "e_full_video": full_video,
}
