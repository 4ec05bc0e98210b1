"""The skip counter and the ``bad_videos.jsonl`` writer: a bad video is counted and reported, never swallowed.

The counter lives in shared memory so the failures seen in every loader worker add up in the main process,
and each failure is appended to ``bad_videos.jsonl`` as one JSON line (a single ``write`` in append mode, so
lines from concurrent workers and ranks never interleave).

Failures are also remembered, so a file is not decoded again once it failed: a sample of epoch ``e`` treats
as bad the files that failed in this run's epochs before ``e`` (from ``bad_videos.jsonl``) and those other
runs recorded in a shared memory file (``read_failures.jsonl``, keyed by path, size and modification time, so
a repaired file is tried again). Knowledge enters only at epoch boundaries, so which files a sample skips
does not depend on how workers were scheduled, and the replacement is the one a failure would have drawn.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

from temporal_ssl.errors import VideoDecodeError
from temporal_ssl.types import VideoRecord

logger = logging.getLogger(__name__)

BAD_VIDEOS_FILENAME = "bad_videos.jsonl"
READ_FAILURES_FILENAME = "read_failures.jsonl"
_FileKey = tuple[str, int, int]  # path, size, mtime_ns


class BadVideoLog:
    """Counts decode failures across processes and appends one JSON line per failure.

    Args:
        path: the ``bad_videos.jsonl`` file to append to (its folder is created), or ``None`` to count and log
            without a file.
        rank: distributed rank written into each line.
        shared: a file remembering failures across runs (e.g.
            ``<user cache>/quarantine/read_failures.jsonl``), or ``None``.
    """

    def __init__(self, path: str | Path | None, *, rank: int = 0, shared: str | Path | None = None) -> None:
        self.path = None if path is None else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.shared = None if shared is None else Path(shared)
        self.rank = rank
        self._count = multiprocessing.Value("q", 0)
        self._run = str(self.path.resolve()) if self.path is not None else None
        self._earlier_runs = {_key(e) for e in _read(self.shared) if e.get("run") != self._run}
        self._known: set[_FileKey] = set()
        self._known_epoch: int | None = None

    @property
    def count(self) -> int:
        """Decode failures recorded so far, summed over every worker."""
        return int(self._count.value)

    def record(self, error: VideoDecodeError, *, video_index: int, epoch: int, position: int,
               attempt: int, source: VideoRecord | None = None) -> None:
        """Count, log and append one failure of the sample at ``(epoch, position)``; ``source`` (the record
        that failed) gives the file version the index describes, under which the failure is remembered."""
        with self._count.get_lock():
            self._count.value += 1
            first = self._count.value == 1
        logger.log(logging.WARNING if first else logging.DEBUG,
                   "skipping bad video (epoch %d, sample %d, attempt %d): %s%s", epoch, position, attempt,
                   error,
                   "; further bad videos are counted and summarised at the end of the epoch" if first else "")
        version = _indexed_version(error.path, source)
        entry = {
            "path": error.path, "cause": error.cause, "backend": error.backend,
            "frame_indices": error.frame_indices, "video_index": video_index, "epoch": epoch,
            "position": position, "attempt": attempt, "rank": self.rank, "time": time.time(), **version,
        }
        for target in (self.path, self.shared):
            if target is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                with open(target, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps({**entry, "run": self._run}) + "\n")

    def count_known(self, path: str) -> None:
        """Count a file replaced without decoding because it failed before (not written again)."""
        with self._count.get_lock():
            self._count.value += 1
        logger.debug("replacing '%s', which failed in an earlier epoch or run", path)

    def known_bad(self, record: VideoRecord, epoch: int) -> str | None:
        """The path of a file of ``record`` known to fail before ``epoch`` (this run's earlier epochs, or
        other runs on the same file version), else ``None``."""
        if self._known_epoch != epoch:
            this_run = {_key(e) for e in _read(self.path) if e.get("epoch", epoch) < epoch}
            self._known = self._earlier_runs | this_run
            self._known_epoch = epoch
        if not self._known:
            return None
        for camera in range(record.num_cameras):
            meta = record.camera(camera).metadata
            if (meta.path, meta.file_size, meta.mtime_ns) in self._known:
                return meta.path
        return None

    def entries(self) -> list[dict[str, Any]]:
        """Every line written to the file so far (all ranks and runs that share it); empty without a file."""
        if self.path is None or not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]


def _read(path: Path | None) -> list[dict[str, Any]]:
    """The entries of a failure file (none when absent; a torn line from a killed process is skipped)."""
    if path is None or not path.is_file():
        return []
    entries = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return entries


def _key(entry: dict[str, Any]) -> _FileKey:
    return str(entry["path"]), int(entry.get("file_size", -1)), int(entry.get("mtime_ns", -1))


def _indexed_version(path: str, source: VideoRecord | None) -> dict[str, int]:
    """Size and modification time of ``path`` as the index saw it (from ``source``), else as it is now."""
    for camera in range(source.num_cameras if source is not None else 0):
        meta = source.camera(camera).metadata  # type: ignore[union-attr]
        if meta.path == path:
            return {"file_size": meta.file_size, "mtime_ns": meta.mtime_ns}
    try:
        info = os.stat(path)
    except OSError:
        return {"file_size": -1, "mtime_ns": -1}
    return {"file_size": info.st_size, "mtime_ns": info.st_mtime_ns}
