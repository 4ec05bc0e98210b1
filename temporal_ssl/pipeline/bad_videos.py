"""The skip counter and the ``bad_videos.jsonl`` writer: a bad video is counted and reported, never swallowed.

The counter lives in shared memory so the failures seen in every loader worker add up in the main process,
and each failure is appended to ``bad_videos.jsonl`` as one JSON line (a single ``write`` in append mode, so
lines from concurrent workers and ranks never interleave).
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from pathlib import Path
from typing import Any

from temporal_ssl.errors import VideoDecodeError

logger = logging.getLogger(__name__)

BAD_VIDEOS_FILENAME = "bad_videos.jsonl"


class BadVideoLog:
    """Counts decode failures across processes and appends one JSON line per failure.

    Args:
        path: the ``bad_videos.jsonl`` file to append to (its folder is created), or ``None`` to count and log
            without a file.
        rank: distributed rank written into each line.
    """

    def __init__(self, path: str | Path | None, *, rank: int = 0) -> None:
        self.path = None if path is None else Path(path)
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rank = rank
        self._count = multiprocessing.Value("q", 0)

    @property
    def count(self) -> int:
        """Decode failures recorded so far, summed over every worker."""
        return int(self._count.value)

    def record(self, error: VideoDecodeError, *, video_index: int, epoch: int, position: int,
               attempt: int) -> None:
        """Count, log at warning and append one failure of the sample at ``(epoch, position)``."""
        with self._count.get_lock():
            self._count.value += 1
        logger.warning("skipping bad video (epoch %d, sample %d, attempt %d): %s",
                       epoch, position, attempt, error)
        if self.path is None:
            return
        entry = {
            "path": error.path, "cause": error.cause, "backend": error.backend,
            "frame_indices": error.frame_indices, "video_index": video_index, "epoch": epoch,
            "position": position, "attempt": attempt, "rank": self.rank, "time": time.time(),
        }
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")

    def entries(self) -> list[dict[str, Any]]:
        """Every line written to the file so far (all ranks and runs that share it); empty without a file."""
        if self.path is None or not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
