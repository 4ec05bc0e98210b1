"""Evidence that a backend's seeking is exact on one file: decode check frames after a seek, compare them.

During the probe's sequential decode, :class:`CheckFrameCollector` keeps grey thumbnails of a few check
frames and their neighbours: entry points spread through the file (not frame 0: decoder keyframes and
frames the container flags as keyframes, where other libraries seek to) and the frame just after each,
a frame in the middle of a group of pictures, the frame halfway through the file, the first and the last
frame. :func:`verify_seeking` then asks a backend's own decoder for each check frame in a separate request,
in an order that makes every request start with a fresh seek, and accepts the backend only if every
returned frame is within tolerance of its reference and no closer to a neighbour's. Decoders add their own
pts and frame-count checks (``SeekMismatchError``). On the real sample files this rejects every seek-based
reader on H.264 4:4:4 files whose keyframes are not clean entry points, decord and torchcodec on an MPEG-4 AVI
whose frames they return early, and on Theora ``.ogv`` files (they cannot open them).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import av
import numpy as np
import torch
from av.video.reformatter import VideoReformatter

from temporal_ssl.io.decoder import FrameDecoder
from temporal_ssl.io.geometry import rotate_upright
from temporal_ssl.io.thumbnails import rgb_thumbnail, thumbnail_distance

logger = logging.getLogger(__name__)

MATCH_TOLERANCE = 0.1
"""Largest thumbnail distance accepted for "the same frame": the same frame decoded by two libraries scores
below 0.02 on the sample files, a frame decoded from a wrong reference scores above 0.5."""
MAX_TRACKED_KEYFRAMES = 4
NUM_KEYFRAME_CHECKS = 3


@dataclass
class CheckFrames:
    """Check frames of one file and the reference thumbnails (check frames and their neighbours)."""

    frame_indices: tuple[int, ...]
    references: dict[int, np.ndarray] = field(repr=False)


class CheckFrameCollector:
    """Watches the probe's sequential decode and keeps thumbnails of check frames, in bounded time and memory.

    A reference costs one RGB conversion of its frame. Keyframes are tracked with a stride that doubles
    whenever more than ``MAX_TRACKED_KEYFRAMES`` are held, so any file costs a few dozen conversions.

    Args:
        rotation: degrees counter-clockwise that make frames upright (backends return upright frames).
        estimated_num_frames: the header's frame count, to place a check halfway; ``None`` when unknown.
    """

    def __init__(self, rotation: int, estimated_num_frames: int | None) -> None:
        self._rotation = rotation
        self._reformatter = VideoReformatter()
        self._references: dict[int, np.ndarray] = {}
        self._wanted: set[int] = {0, 1}
        self._halfway: int | None = None
        if estimated_num_frames is not None and estimated_num_frames > 4:
            self._halfway = estimated_num_frames // 2
        if self._halfway is not None:
            self._wanted.update((self._halfway - 1, self._halfway, self._halfway + 1))
        self._stride, self._ordinal, self._previous_keyframe = 1, 0, 0
        self._tracked: list[tuple[int, int, int]] = []  # (ordinal, keyframe, mid-GOP frame after it)
        self._recent: list[tuple[int, av.VideoFrame]] = []  # the last two frames, for k-1 and the end

    def add(self, index: int, frame: av.VideoFrame, is_entry_point: bool) -> None:
        """Look at decoded frame ``index`` (called for every frame, in order).

        Args:
            index: the frame's position in the sequential decode.
            frame: the decoded frame.
            is_entry_point: whether a backend may start decoding here: a keyframe for the decoder, or a frame
                whose packet the container flags as a keyframe (e.g. H.264 recovery points).
        """
        if is_entry_point and index > 0:
            self._ordinal += 1
            if self._ordinal % self._stride == 0:
                self._track(index)
            self._previous_keyframe = index
        if index in self._wanted or (self._tracked and self._tracked[-1][1] == index):
            self._capture(index, frame)
        self._recent = [*self._recent[-1:], (index, frame)]

    def finish(self, num_frames: int) -> CheckFrames:
        """The check frames, once the sequential decode has yielded ``num_frames`` frames."""
        for index, frame in self._recent:
            self._capture(index, frame)
        self._recent = []
        last = num_frames - 1
        checks = {0, last}
        tracked = self._tracked
        if tracked:
            count = min(NUM_KEYFRAME_CHECKS, len(tracked))
            picks = np.linspace(0, len(tracked) - 1, count).round().astype(int)
            for pick in sorted(set(picks.tolist())):
                checks.update((tracked[pick][1], tracked[pick][1] + 1))
            checks.add(tracked[len(tracked) // 2][2])
        if self._halfway is not None:
            checks.add(self._halfway)
        frame_indices = tuple(sorted(i for i in checks if 0 <= i < num_frames and i in self._references))
        needed = {j for i in frame_indices for j in (i - 1, i, i + 1)}
        return CheckFrames(frame_indices, {i: t for i, t in self._references.items() if i in needed})

    def _track(self, keyframe: int) -> None:
        group = keyframe - self._previous_keyframe
        mid = keyframe + max(3, group // 2)
        self._tracked.append((self._ordinal, keyframe, mid))
        self._wanted.update((keyframe + 1, keyframe + 2, mid - 1, mid, mid + 1))
        if self._recent:  # the frame before the keyframe is a neighbour reference
            self._capture(*self._recent[-1])
        if len(self._tracked) > MAX_TRACKED_KEYFRAMES:
            self._stride *= 2
            self._tracked = [t for t in self._tracked if t[0] % self._stride == 0]

    def _capture(self, index: int, frame: av.VideoFrame) -> None:
        if index not in self._references:
            self._references[index] = reference_thumbnail(frame, self._rotation, self._reformatter)


def reference_thumbnail(frame: av.VideoFrame, rotation: int, reformatter: VideoReformatter) -> np.ndarray:
    """The thumbnail a backend's upright RGB frame is compared with: one RGB conversion of ``frame``."""
    rgb = torch.from_numpy(reformatter.reformat(frame, format="rgb24", threads=1).to_ndarray())
    return rgb_thumbnail(rotate_upright(rgb[None], rotation)[0])


def frame_matches(thumbnail: np.ndarray, index: int, references: Mapping[int, np.ndarray]) -> bool:
    """Whether ``thumbnail`` is frame ``index``: close to its reference and no closer to a neighbour's."""
    distance = thumbnail_distance(thumbnail, references[index])
    if distance > MATCH_TOLERANCE:
        return False
    neighbours = [references[j] for j in (index - 1, index + 1) if j in references]
    return all(thumbnail_distance(thumbnail, other) >= distance for other in neighbours)


def verify_seeking(
    backend: str,
    make_decoder: Callable[[], FrameDecoder],
    checks: CheckFrames,
    path: str,
    keyframe_indices: Sequence[int] = (),
) -> bool:
    """Whether ``backend`` returns every check frame exactly when each request starts with a seek.

    Checks at or just after a keyframe are cheap (a frame or two to decode) and catch most broken seeking, so
    they run first; each group is asked in descending order from a fresh decoder, so every request seeks.

    Args:
        backend: the backend's name (for the log).
        make_decoder: builds the backend's decoder for the file, trusting its seeks.
        checks: the check frames and reference thumbnails collected by the probe.
        path: the file (for the log).
        keyframe_indices: the file's keyframes, to tell cheap checks from expensive ones.
    """
    cheap = {i for i in checks.frame_indices if i - _keyframe_at_or_before(keyframe_indices, i) <= 1}
    groups = [sorted(cheap, reverse=True), sorted(set(checks.frame_indices) - cheap, reverse=True)]
    for group in (g for g in groups if g):
        decoder: FrameDecoder | None = None
        try:
            decoder = make_decoder()
            for index in group:
                frame = decoder.decode_sorted([index], None)[0]
                if not frame_matches(rgb_thumbnail(frame), index, checks.references):
                    logger.info("%s: seeking with %s is not exact (frame %d differs from a sequential "
                                "decode)", path, backend, index)
                    return False
        except Exception as error:  # any failure of an optional third-party decoder only means "not exact"
            logger.info("%s: seeking with %s is not exact (%s: %s)", path, backend, type(error).__name__,
                        error)
            return False
        finally:
            if decoder is not None:
                decoder.close()
    return True


def _keyframe_at_or_before(keyframe_indices: Sequence[int], index: int) -> int:
    position = bisect.bisect_right(keyframe_indices, index) - 1
    return keyframe_indices[position] if position >= 0 else 0

