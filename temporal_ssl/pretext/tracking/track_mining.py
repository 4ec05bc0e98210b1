"""Mine tracks in decoded frames: query patches where things move, each followed by the correlation tracker.

This is the offline step of Wang & Gupta (ICCV 2015) on frames already decoded: query frames are tried
every ``start_stride`` frames, each gives up to ``miner.num_boxes`` moving patches, and each patch is tracked
forward ``track_length`` frames; only tracks the tracker never flags as lost are kept. The first and last box
of a track are the positive pair of the ``tracking`` pretext.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from temporal_ssl import config
from temporal_ssl.errors import ConfigError
from temporal_ssl.pretext.motion import grey_frames
from temporal_ssl.pretext.tracking.correlation_tracker import TrackerOptions, track_forward
from temporal_ssl.pretext.tracking.patch_crops import scale_box
from temporal_ssl.pretext.tracking.patch_miner import MinerOptions, mine_frame
from temporal_ssl.types import Box


@dataclass(frozen=True, kw_only=True)
class TrackMiningOptions:
    """How tracks are mined from a video.

    Args:
        track_length: frames between the first and the last patch of a track (the paper's 30).
        start_stride: frames between the query frames tried in one video.
        frame_stride: the tracker sees every ``frame_stride``-th frame (1 = every frame; must divide
            ``track_length``); larger is faster but allows less motion per step.
        max_width, max_height: the working resolution; frames are decoded no larger than this (aspect kept).
        miner: where patches are found (see :class:`MinerOptions`).
        tracker: how they are followed (see :class:`TrackerOptions`).
    """

    track_length: int = 30
    start_stride: int = 30
    frame_stride: int = 1
    max_width: int = 320
    max_height: int = 240
    miner: MinerOptions = field(default_factory=MinerOptions)
    tracker: TrackerOptions = field(default_factory=TrackerOptions)

    def __post_init__(self) -> None:
        where = "track mining option"
        if self.track_length < 1:
            raise ConfigError(f"{where} 'track_length' must be >= 1 frame, got {self.track_length}")
        if self.start_stride < 1:
            raise ConfigError(f"{where} 'start_stride' must be >= 1 frame, got {self.start_stride}")
        if self.frame_stride < 1 or self.track_length % self.frame_stride:
            raise ConfigError(f"{where} 'frame_stride' must be >= 1 and divide track_length "
                              f"({self.track_length}), got {self.frame_stride}")
        if self.max_width < 32 or self.max_height < 32:
            raise ConfigError(f"{where}s 'max_width' and 'max_height' must be >= 32 pixels, got "
                              f"{self.max_width}x{self.max_height}")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (nested options as mappings), inverse of :meth:`from_dict`."""
        return dict(config.to_dict(self))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, *, where: str = "tracks") -> TrackMiningOptions:
        """Options from a mapping (nested ``miner`` and ``tracker`` mappings); unknown keys fail."""
        return config.from_dict(cls, data, where=where)


@dataclass(frozen=True)
class Track:
    """A patch followed through a video.

    Args:
        video: path of the video.
        frame_indices: frames where the box is known, ascending; the first is the query frame ``t0`` and the
            last is ``t1 = t0 + track_length``.
        boxes: one ``(x0, y0, x1, y1)`` per frame, in full-size pixels of the video (``VideoMetadata`` size).
        score: the tracker's weakest appearance similarity along the track (-1..1, higher is surer).
        motion_share: share of the query frame's motion mass inside the first box.
    """

    video: str
    frame_indices: tuple[int, ...]
    boxes: tuple[Box, ...]
    score: float
    motion_share: float = 1.0

    def __post_init__(self) -> None:
        if len(self.frame_indices) < 2 or len(self.boxes) != len(self.frame_indices):
            raise ValueError(f"a track of '{self.video}' needs >= 2 frames with one box each, got "
                             f"{len(self.frame_indices)} frames and {len(self.boxes)} boxes")
        if any(b <= a for a, b in itertools.pairwise(self.frame_indices)):
            raise ValueError(f"track frames of '{self.video}' must increase, got {self.frame_indices}")

    @property
    def start(self) -> int:
        return self.frame_indices[0]

    @property
    def end(self) -> int:
        return self.frame_indices[-1]

    def box_at(self, frame_index: int) -> Box:
        """The box at ``frame_index`` (linearly interpolated between tracked frames)."""
        return self.boxes_at([frame_index])[0]

    def boxes_at(self, frame_indices: Sequence[int]) -> tuple[Box, ...]:
        """The boxes at ``frame_indices`` (linearly interpolated between tracked frames)."""
        wanted = np.asarray(frame_indices, dtype=np.float64)
        if wanted.size and (wanted.min() < self.start or wanted.max() > self.end):
            raise ValueError(f"frames {list(frame_indices)} reach outside the track {self.start}..{self.end} "
                             f"of '{self.video}'")
        known = np.asarray(self.frame_indices, dtype=np.float64)
        boxes = np.asarray(self.boxes, dtype=np.float64)
        columns = [np.interp(wanted, known, boxes[:, k]) for k in range(4)]
        return tuple((float(a), float(b), float(c), float(d)) for a, b, c, d in zip(*columns, strict=True))

    def to_dict(self) -> dict[str, Any]:
        """Compact JSON form (boxes rounded to 0.1 px)."""
        return {"t0": self.start, "t1": self.end, "frames": list(self.frame_indices),
                "boxes": [[round(v, 1) for v in box] for box in self.boxes],
                "score": round(self.score, 4), "motion_share": round(self.motion_share, 4)}

    @classmethod
    def from_dict(cls, video: str, data: Mapping[str, Any]) -> Track:
        """Rebuild a track written by :meth:`to_dict`."""
        return cls(video, tuple(int(f) for f in data["frames"]),
                   tuple(tuple(float(v) for v in box) for box in data["boxes"]),  # type: ignore[misc]
                   float(data["score"]), float(data.get("motion_share", 1.0)))


def working_size(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """``(height, width)`` no larger than the limits, aspect ratio kept, never upscaled (even sizes)."""
    factor = min(1.0, max_width / width, max_height / height)
    if factor >= 1.0:
        return height, width
    return max(2, int(round(height * factor / 2)) * 2), max(2, int(round(width * factor / 2)) * 2)


def query_frames(num_frames: int, options: TrackMiningOptions) -> list[int]:
    """Query frames tried in a video of ``num_frames`` frames: every track and its motion check fit in it."""
    gap = options.miner.frame_gap
    last = num_frames - 1 - max(options.track_length, gap)
    return list(range(gap, last + 1, options.start_stride))


def frames_needed(query: int, options: TrackMiningOptions) -> list[int]:
    """The frames mining and tracking from ``query`` read: the motion check's three and the tracked ones."""
    gap = options.miner.frame_gap
    tracked = range(query, query + options.track_length + 1, options.frame_stride)
    return sorted({query - gap, query + gap, *tracked})


@dataclass
class MiningOutcome:
    """Tracks found in some frames, and what happened to every query frame and box (for tuning thresholds).

    ``counts`` keys: ``queries``; the miner's rejections ``too_little_motion``, ``camera_motion``, ``no_box``;
    ``boxes`` mined; ``lost`` (the tracker gave up) and ``tracked`` (kept).
    """

    tracks: list[Track] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)


def mine_tracks_from_grey(grey: Mapping[int, np.ndarray], queries: Sequence[int], options: TrackMiningOptions,
                          *, video: str, scale: tuple[float, float] = (1.0, 1.0)) -> MiningOutcome:
    """Mine and track patches from query frames of one video.

    Args:
        grey: float32 grey ``[H, W]`` frames by frame index; must hold :func:`frames_needed` of every query.
        queries: query frame indices.
        options: mining settings.
        video: path recorded in the tracks.
        scale: ``(x, y)`` factors from the grey frames' pixels to full-size video pixels.
    """
    gap, length, stride = options.miner.frame_gap, options.track_length, options.frame_stride
    outcome = MiningOutcome()
    for query in queries:
        outcome.counts["queries"] += 1
        mined = mine_frame(grey.get(query - gap), grey[query], grey[query + gap], options.miner)
        if mined.rejection is not None:
            outcome.counts[mined.rejection] += 1
        tracked_frames = list(range(query, query + length + 1, stride))
        sequence = [grey[index] for index in tracked_frames]
        for box, share in zip(mined.boxes, mined.shares, strict=True):
            outcome.counts["boxes"] += 1
            result = track_forward(sequence, box, options.tracker)
            if result.lost_at is not None:
                outcome.counts["lost"] += 1
                continue
            outcome.counts["tracked"] += 1
            full = tuple(scale_box(b, *scale) for b in result.boxes.tolist())
            outcome.tracks.append(Track(video, tuple(tracked_frames), full, result.score, share))
    return outcome


def mine_tracks_in_frames(frames: Any, frame_indices: Sequence[int], options: TrackMiningOptions, *,
                          video: str, scale: tuple[float, float] = (1.0, 1.0),
                          queries: Sequence[int] | None = None) -> MiningOutcome:
    """Mine tracks in a stack of decoded frames.

    Args:
        frames: uint8 or float ``[N, C, H, W]`` (numpy or torch), frame ``i`` being video frame
            ``frame_indices[i]``.
        frame_indices: the video frame index of each row of ``frames``.
        options: mining settings.
        video: path recorded in the tracks.
        scale: ``(x, y)`` factors from the frames' pixels to full-size video pixels.
        queries: query frames to try; by default every one of :func:`query_frames` whose frames are all given.
    """
    if len(frame_indices) != len(frames):
        raise ValueError(f"{len(frames)} frames but {len(frame_indices)} frame indices for '{video}'")
    grey_stack = grey_frames(frames)
    grey = {int(index): grey_stack[row] for row, index in enumerate(frame_indices)}
    if queries is None:
        candidates = query_frames(max(grey) + 1, options) if grey else []
        queries = [q for q in candidates if all(f in grey for f in frames_needed(q, options))]
    return mine_tracks_from_grey(grey, queries, options, video=video, scale=scale)
