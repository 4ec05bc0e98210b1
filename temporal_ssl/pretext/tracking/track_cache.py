"""The track cache file: one JSON line per video, readable after any crash, resumable.

Layout (``tracks.jsonl``): the first line is a header holding the mining options; every further line is one
video — ``{"video": path, "num_frames", "width", "height", "status": "ok", "tracks": [...], "seconds":
{...}}`` or ``{"video": path, "status": "failed", "error": why}`` — so a video's tracks are committed
together. Each line is appended with a single write and flushed to disk before the next video, and readers
ignore a last line that has no newline, so a crash loses at most the video being written and never breaks
reading.

Box coordinates are full-size pixels of the video (``VideoMetadata.width`` x ``height``), whatever resolution
the frames were mined at.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporal_ssl.errors import DatasetError
from temporal_ssl.pretext.tracking.track_mining import Track, TrackMiningOptions

logger = logging.getLogger(__name__)

FORMAT_NAME = "temporal_ssl.tracks"
FORMAT_VERSION = 1


def video_key(path: str) -> str:
    """The key a video is stored and looked up under (absolute, normalised path)."""
    return os.path.normpath(os.path.abspath(path))


@dataclass(frozen=True)
class VideoTracks:
    """The cache entry of one video: its tracks, or why mining failed.

    Args:
        video: the video path (absolute).
        tracks: the tracks mined in it (possibly none: a static video).
        num_frames, width, height: the video as mined (full-size pixels, the boxes' frame).
        error: why mining failed, or ``None``.
        seconds: wall time spent, ``{"decode": s, "mine": s}``.
        counts: what happened to the query frames and boxes (see ``track_mining.MiningOutcome``).
    """

    video: str
    tracks: tuple[Track, ...] = ()
    num_frames: int = 0
    width: int = 0
    height: int = 0
    error: str | None = None
    seconds: Mapping[str, float] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON line written for this video."""
        if self.error is not None:
            return {"video": self.video, "status": "failed", "error": self.error}
        return {"video": self.video, "num_frames": self.num_frames, "width": self.width,
                "height": self.height,
                "status": "ok", "tracks": [t.to_dict() for t in self.tracks],
                "seconds": {k: round(v, 4) for k, v in self.seconds.items()}, "counts": dict(self.counts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoTracks:
        """Rebuild an entry from its JSON line."""
        video = str(data["video"])
        if data.get("status") == "failed":
            return cls(video, error=str(data.get("error", "unknown error")))
        return cls(video, tuple(Track.from_dict(video, t) for t in data["tracks"]), int(data["num_frames"]),
                   int(data["width"]), int(data["height"]), None, dict(data.get("seconds", {})),
                   {str(k): int(v) for k, v in data.get("counts", {}).items()})


@dataclass(frozen=True)
class TrackCache:
    """A loaded track cache: the options it was mined with and every video's entry."""

    path: str
    options: TrackMiningOptions
    videos: Mapping[str, VideoTracks]

    def tracks_for(self, path: str) -> tuple[Track, ...] | None:
        """Tracks of the video at ``path``; ``None`` when the video is not in the cache or failed."""
        entry = self.videos.get(video_key(path))
        return None if entry is None or entry.error is not None else entry.tracks

    @property
    def num_tracks(self) -> int:
        return sum(len(v.tracks) for v in self.videos.values())

    @property
    def num_failed(self) -> int:
        return sum(v.error is not None for v in self.videos.values())


def read_lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Parsed lines of a cache file; a last line without newline (a write cut short) is skipped."""
    with open(path, "rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")
    complete, tail = lines[:-1], lines[-1]
    if tail.strip():
        logger.warning("%s: ignoring an incomplete last line (%d bytes), left by an interrupted run",
                       path, len(tail))
    for number, line in enumerate(complete, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as error:
            raise DatasetError(f"{path}:{number}: not a JSON line ({error}); the track cache is damaged — "
                               "mine it again with tools/mine_tracks.py") from None


def header_line(options: TrackMiningOptions) -> dict[str, Any]:
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "options": options.to_dict()}


def load_tracks(path: str | Path) -> TrackCache:
    """Read a track cache written by :func:`mine_corpus` / ``tools/mine_tracks.py``."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"track cache '{path}' does not exist; mine it with "
                           f"tools/mine_tracks.py --data <index or folder> --out {path}")
    options: TrackMiningOptions | None = None
    videos: dict[str, VideoTracks] = {}
    for number, data in read_lines(path):
        if options is None:
            if data.get("format") != FORMAT_NAME:
                raise DatasetError(f"{path}:{number}: not a track cache (no '{FORMAT_NAME}' header); "
                                   "mine it with tools/mine_tracks.py")
            if data.get("version") != FORMAT_VERSION:
                raise DatasetError(f"{path}: track cache version {data.get('version')} is not the supported "
                                   f"version {FORMAT_VERSION}; mine it again with tools/mine_tracks.py")
            options = TrackMiningOptions.from_dict(data["options"], where=f"{path}:options")
            continue
        try:
            entry = VideoTracks.from_dict(data)
        except (KeyError, TypeError, ValueError) as error:
            raise DatasetError(f"{path}:{number}: not a video entry ({error!r}); mine the cache "
                               "again") from None
        videos[video_key(entry.video)] = entry
    if options is None:
        raise DatasetError(f"track cache '{path}' is empty; mine it with tools/mine_tracks.py --out {path}")
    return TrackCache(str(path), options, videos)


def cut_partial_line(path: Path) -> None:
    """Drop the bytes after the last newline (a line an interrupted run left half-written)."""
    with open(path, "rb+") as handle:
        data = handle.read()
        keep = data.rfind(b"\n") + 1
        if keep < len(data):
            handle.truncate(keep)


def append_line(path: Path, data: Mapping[str, Any], *, truncate: bool = False) -> None:
    """Write one JSON line with a single ``write`` and flush it to disk."""
    line = (json.dumps(data, separators=(",", ":")) + "\n").encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else os.O_APPEND)
    descriptor = os.open(path, flags, 0o644)
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


