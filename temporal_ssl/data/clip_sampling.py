"""Where clips go inside a video: pure functions over frame indices (no decoding, no global RNG).

A clip is ``num_frames_per_clip`` frames taken every ``frame_stride`` frames, so it spans
``(num_frames_per_clip - 1) * frame_stride + 1`` frames. The ``clip_starts_*`` functions return clip start
indices; :func:`clips_from_starts` turns them into the ``[N, T]`` frame indices to decode (all at once, the
torchcodec sampler model). Randomness comes only from the ``numpy.random.Generator`` the caller passes.

Videos shorter than one clip span follow an explicit ``short_video`` policy:

* ``"loop"``: indices wrap around to the start (``i % num_frames``; the tiling of CVRL);
* ``"repeat_last"``: indices past the end repeat the last frame (padding as in PyTorchVideo / torchvision);
* ``"skip"``: raise :class:`ShortVideoError`, which a dataset catches to skip the video and count it.

A video with no frame at all always raises :class:`ShortVideoError`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np

from temporal_ssl.errors import TemporalSSLError

ShortVideoPolicy = Literal["loop", "repeat_last", "skip"]
GapFallback = Literal["least_violating", "raise"]
SHORT_VIDEO_POLICIES: tuple[str, ...] = ("loop", "repeat_last", "skip")


class ShortVideoError(TemporalSSLError, ValueError):
    """A video has fewer frames than a clip (or a set of clips) needs and the policy is ``"skip"``.

    Carries ``num_frames``, ``num_frames_needed`` and ``what`` needs them, so a dataset can report the skip,
    and ``skipped_by_policy``: ``True`` when only the ``"skip"`` policy made this an error (``"loop"`` or
    ``"repeat_last"`` would have wrapped or padded the clip), ``False`` when no policy helps (no frame at all,
    gap bounds, a pretext's own needs). Clip sampling knows neither the file nor the pretext, so it raises
    without ``path`` or ``remedy``; the caller that knows them (the pipeline) adds both with
    :meth:`for_video`.
    """

    def __init__(self, num_frames: int, num_frames_needed: int, what: str = "a clip", *,
                 skipped_by_policy: bool = False, path: str | None = None, remedy: str | None = None) -> None:
        self.num_frames = num_frames
        self.num_frames_needed = num_frames_needed
        self.what = what
        self.skipped_by_policy = skipped_by_policy
        self.path = path
        self.remedy = remedy
        video = "video" if path is None else f"video '{path}'"
        message = f"{video} has {num_frames} frames but {what} needs {num_frames_needed}"
        super().__init__(message if remedy is None else f"{message}; {remedy}")

    def for_video(self, path: str, *, what: str | None = None, remedy: str | None = None) -> ShortVideoError:
        """The same error naming the video ``path``, optionally restating ``what`` and adding a ``remedy``."""
        return ShortVideoError(self.num_frames, self.num_frames_needed, self.what if what is None else what,
                               skipped_by_policy=self.skipped_by_policy, path=path, remedy=remedy)


def clip_span(num_frames_per_clip: int, frame_stride: int = 1) -> int:
    """Number of consecutive source frames a clip covers: ``(T - 1) * stride + 1``."""
    _check_clip(num_frames_per_clip, frame_stride)
    return (num_frames_per_clip - 1) * frame_stride + 1


def num_clip_starts(num_frames: int, *, num_frames_per_clip: int, frame_stride: int = 1) -> int:
    """How many start positions keep a whole clip inside the video (``<= 0`` for a short video)."""
    return num_frames - clip_span(num_frames_per_clip, frame_stride) + 1


def clip_indices(start: int, *, num_frames_per_clip: int, frame_stride: int = 1,
                 num_frames: int | None = None, short_video: ShortVideoPolicy = "skip") -> np.ndarray:
    """The frame indices of one clip starting at ``start``, int64 ``[T]``.

    Args:
        start: first frame index.
        num_frames_per_clip: ``T``.
        frame_stride: distance between consecutive frames of the clip.
        num_frames: frames in the video; when given, indices past the end follow ``short_video``.
        short_video: see the module docstring.
    """
    return clips_from_starts([start], num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride,
                             num_frames=num_frames, short_video=short_video)[0]


def clips_from_starts(starts: np.ndarray | Sequence[int], *, num_frames_per_clip: int, frame_stride: int = 1,
                      num_frames: int | None = None, short_video: ShortVideoPolicy = "skip") -> np.ndarray:
    """Frame indices of clips starting at ``starts``, int64 ``[N, T]`` (see :func:`clip_indices`)."""
    _check_clip(num_frames_per_clip, frame_stride)
    _check_policy(short_video)
    starts_array = np.asarray(starts, dtype=np.int64).reshape(-1)
    if starts_array.size and starts_array.min() < 0:
        raise ValueError(f"clip starts must be >= 0, got {starts_array.min()}")
    indices = starts_array[:, None] + frame_stride * np.arange(num_frames_per_clip, dtype=np.int64)[None, :]
    if num_frames is None:
        return indices
    if num_frames <= 0:
        raise ShortVideoError(num_frames, clip_span(num_frames_per_clip, frame_stride))
    if indices.size and indices.max() >= num_frames:
        if short_video == "skip":
            raise ShortVideoError(num_frames, int(indices.max()) + 1, "this set of clips",
                                  skipped_by_policy=True)
        indices = indices % num_frames if short_video == "loop" else np.minimum(indices, num_frames - 1)
    return indices


def clip_starts_random(num_frames: int, *, num_frames_per_clip: int, frame_stride: int = 1,
                       num_clips: int = 1, rng: np.random.Generator,
                       short_video: ShortVideoPolicy = "skip") -> np.ndarray:
    """``num_clips`` independent uniformly random starts keeping each clip inside the video, int64 ``[N]``.

    For a short video: ``loop`` draws starts uniformly over all frames (clips wrap); ``repeat_last`` starts
    at 0.
    """
    count = _starts_or_policy(num_frames, num_frames_per_clip, frame_stride, short_video)
    _check_count(num_clips, "num_clips")
    if count <= 0:
        high = num_frames if short_video == "loop" else 1
        return rng.integers(0, high, size=num_clips, dtype=np.int64)
    return rng.integers(0, count, size=num_clips, dtype=np.int64)


def clip_starts_uniform(num_frames: int, *, num_clips: int, num_frames_per_clip: int,
                        frame_stride: int = 1, short_video: ShortVideoPolicy = "skip") -> np.ndarray:
    """Evaluation starts, int64 ``[N]``: clip centres at ``linspace(span/2, num_frames - span/2, num_clips)``.

    This is VCOP's test sampling. The first clip starts at frame 0 and the last ends at the last frame; as in
    VCOP's released code a single clip (``num_clips=1``) starts at frame 0. A short video gives starts of 0.
    """
    count = _starts_or_policy(num_frames, num_frames_per_clip, frame_stride, short_video)
    _check_count(num_clips, "num_clips")
    if count <= 0:
        return np.zeros(num_clips, dtype=np.int64)
    span = clip_span(num_frames_per_clip, frame_stride)
    centres = np.linspace(span / 2, num_frames - span / 2, num_clips)
    # The rounding guard keeps exact integers exact (2.9999999 must not become 2).
    return np.clip(np.floor(centres - span / 2 + 1e-9), 0, count - 1).astype(np.int64)


def clip_starts_constant(num_frames: int, *, num_clips: int, num_frames_per_clip: int, frame_stride: int = 1,
                         rng: np.random.Generator | None = None,
                         short_video: ShortVideoPolicy = "skip") -> np.ndarray:
    """One clip per equal segment of the possible starts (TSN / mmaction2 ``SampleFrames``), int64 ``[N]``.

    The ``P`` possible starts are cut into ``num_clips`` segments. Without ``rng`` (evaluation) each clip
    starts at its segment's centre, ``floor((k + 0.5) * P / N)``; with ``rng`` (training) at a uniformly
    random start inside segment ``k`` of width ``P // N``. When ``P < N`` segments are empty, and the training
    draw is ``N`` sorted uniform starts instead. A short video gives starts of 0.
    """
    count = _starts_or_policy(num_frames, num_frames_per_clip, frame_stride, short_video)
    _check_count(num_clips, "num_clips")
    if count <= 0:
        return np.zeros(num_clips, dtype=np.int64)
    k = np.arange(num_clips, dtype=np.int64)
    if rng is None:
        return ((2 * k + 1) * count // (2 * num_clips)).astype(np.int64)
    width = count // num_clips
    if width == 0:
        return np.sort(rng.integers(0, count, size=num_clips, dtype=np.int64))
    return k * width + rng.integers(0, width, size=num_clips, dtype=np.int64)


def clip_starts_consecutive(first_start: int, *, num_clips: int, num_frames_per_clip: int,
                            frame_stride: int = 1, clip_gap_frames: int = 0) -> np.ndarray:
    """Starts of ``num_clips`` clips in a row, ``clip_gap_frames`` apart (from one clip's end to the next).

    Clip ``k`` starts at ``first_start + k * (span + clip_gap_frames)`` (VCOP cuts its tuples this way).
    """
    _check_count(num_clips, "num_clips")
    step = clip_span(num_frames_per_clip, frame_stride) + clip_gap_frames
    if step <= 0:
        raise ValueError(f"clip_gap_frames={clip_gap_frames} makes consecutive clips start at the same frame "
                         "or go backwards; it must be > -span")
    return first_start + step * np.arange(num_clips, dtype=np.int64)


def clip_starts_multi(num_frames: int, *, num_clips: int, num_frames_per_clip: int, frame_stride: int = 1,
                      rng: np.random.Generator, min_clip_gap_frames: int | None = None,
                      max_clip_gap_frames: int | None = None, max_retries: int = 100,
                      fallback: GapFallback = "least_violating",
                      short_video: ShortVideoPolicy = "skip") -> np.ndarray:
    """``num_clips`` uniformly random starts whose gaps obey bounds, int64 ``[N]`` (PySlowFast's ρ-clip rule).

    A gap is measured between consecutive clips in time order, from the end of one clip to the start of the
    next (0 = adjacent, negative = overlapping). The rejection sampling is PySlowFast's
    ``decoder.get_multiple_start_end_idx`` (used for the ρ-clips of Feichtenhofer et al., CVPR 2021): clips
    are placed one after another, each drawn uniformly up to ``max_retries`` times until every gap between the
    clips placed so far lies inside ``[min_clip_gap_frames, max_clip_gap_frames]`` (its last draw is kept
    otherwise); a whole set that still breaks a bound is drawn again, up to ``max_retries`` sets.

    When no set obeys the bounds, ``fallback`` decides: ``"least_violating"`` (PySlowFast) returns the set
    that breaks them least — the smallest total number of frames by which gaps fall outside the bounds
    (PySlowFast's own score sums the offending gaps, which ranks sets with the same number of offending gaps
    identically) — and ``"raise"`` raises :class:`ShortVideoError`. Bounds that no placement in this video can
    satisfy are detected first: ``"raise"`` raises without drawing, ``"least_violating"`` still searches.
    Without bounds, or in a video shorter than one clip (``short_video`` policy), the starts are independent
    uniform draws (:func:`clip_starts_random`). Starts come back in placement order (not sorted), so callers
    may treat clip 0 as the anchor.
    """
    if fallback not in ("least_violating", "raise"):
        raise ValueError(f"fallback={fallback!r} is not one of 'least_violating', 'raise'")
    _check_count(max_retries, "max_retries")
    _check_count(num_clips, "num_clips")
    low = -math.inf if min_clip_gap_frames is None else min_clip_gap_frames
    high = math.inf if max_clip_gap_frames is None else max_clip_gap_frames
    if low > high:
        raise ValueError(f"min_clip_gap_frames={min_clip_gap_frames} > "
                         f"max_clip_gap_frames={max_clip_gap_frames}")
    count = num_clip_starts(num_frames, num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride)
    if count <= 0 or (min_clip_gap_frames is None and max_clip_gap_frames is None):
        return clip_starts_random(num_frames, num_frames_per_clip=num_frames_per_clip,
                                  frame_stride=frame_stride, num_clips=num_clips, rng=rng,
                                  short_video=short_video)
    span = clip_span(num_frames_per_clip, frame_stride)
    # Smallest spread the bounds allow: every gap at its lower bound (starts may coincide, never go back).
    least_spread = (num_clips - 1) * max(low + span, 0)
    what = f"{num_clips} clips with gaps in [{min_clip_gap_frames}, {max_clip_gap_frames}]"
    if fallback == "raise" and least_spread > count - 1:
        raise ShortVideoError(num_frames, int(span + least_spread), what)

    def violation(starts: np.ndarray) -> np.ndarray:
        """Frames by which the gaps of each row of ``starts`` ``[R, k]`` leave the bounds (0 = valid)."""
        gaps = np.diff(np.sort(starts, axis=1), axis=1) - span
        return (np.clip(low - gaps, 0, None) + np.clip(gaps - high, 0, None)).sum(axis=1)

    best, best_violation = None, math.inf
    for _ in range(max_retries):
        starts = rng.integers(0, count, size=1, dtype=np.int64)
        for _ in range(num_clips - 1):
            # The retries of one clip drawn at once: the first that fits is what a loop would keep.
            rows = np.concatenate([np.broadcast_to(starts, (max_retries, len(starts))),
                                   rng.integers(0, count, size=(max_retries, 1), dtype=np.int64)], axis=1)
            fits = np.flatnonzero(violation(rows) == 0)
            starts = rows[fits[0] if fits.size else -1]
        total = float(violation(starts[None, :])[0])
        if total == 0:
            return starts
        if total < best_violation:
            best, best_violation = starts, total
    if fallback == "raise":
        what = f"{what} (none found in {max_retries} sets)"
        raise ShortVideoError(num_frames, int(span + least_spread), what)
    return np.asarray(best, dtype=np.int64)


def _starts_or_policy(num_frames: int, num_frames_per_clip: int, frame_stride: int,
                      short_video: ShortVideoPolicy) -> int:
    """Number of valid starts; raises ``ShortVideoError`` when the policy is ``skip`` and there is none."""
    _check_policy(short_video)
    count = num_clip_starts(num_frames, num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride)
    if num_frames <= 0 or (count <= 0 and short_video == "skip"):
        raise ShortVideoError(num_frames, clip_span(num_frames_per_clip, frame_stride),
                              skipped_by_policy=num_frames > 0)
    return count


def _check_clip(num_frames_per_clip: int, frame_stride: int) -> None:
    _check_count(num_frames_per_clip, "num_frames_per_clip")
    _check_count(frame_stride, "frame_stride")


def _check_count(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")


def _check_policy(short_video: str) -> None:
    if short_video not in SHORT_VIDEO_POLICIES:
        raise ValueError(f"short_video={short_video!r} is not one of {', '.join(SHORT_VIDEO_POLICIES)}")
