"""The probe cache: what probing each file found, keyed by its path, size and modification time.

Probing decodes every frame of a file, so a corpus is probed once and the results are kept in a JSON-lines
file. A result is reused while the file's size and ``mtime_ns`` are unchanged; a changed file is re-probed.
Results are appended as they arrive, so an interrupted build keeps what it probed and the next one resumes; a
torn last line is ignored. Failures are cached too (with the decoder's message), so a corrupt file is not
decoded again on every build unless it changes or a retry is asked for.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporal_ssl.atomic_write import atomic_open
from temporal_ssl.types import VideoMetadata

logger = logging.getLogger(__name__)

CACHE_VERSION = 1
"""Bump when the meaning of a cached probe changes; older caches are then ignored and files re-probed."""


@dataclass(frozen=True)
class ProbeResult:
    """What probing one file version found: its metadata, or why it could not be probed.

    Args:
        path: the file, absolute.
        file_size, mtime_ns: the file version probed (from ``os.stat`` before probing).
        metadata: the probe's result, or ``None`` when probing failed.
        error: the decoder's message when probing failed, else ``None``.
    """

    path: str
    file_size: int
    mtime_ns: int
    metadata: VideoMetadata | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "file_size": self.file_size, "mtime_ns": self.mtime_ns,
                "metadata": None if self.metadata is None else self.metadata.to_dict(), "error": self.error}


class ProbeCache:
    """A JSON-lines probe cache bound to one file (created on the first write)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        # path -> (size, mtime_ns, failed, the JSON line): a line is a few KB, its parsed form several
        # times more.
        self._raw: dict[str, tuple[int, int, bool, str]] = {}
        self._num_lines = 0
        self._load()

    def __len__(self) -> int:
        return len(self._raw)

    def lookup(self, path: str, file_size: int, mtime_ns: int) -> ProbeResult | None:
        """The cached result for this exact file version, or ``None`` (never probed, or changed since)."""
        if self.outcome(path, file_size, mtime_ns) is None:
            return None
        return self.latest(path)

    def outcome(self, path: str, file_size: int, mtime_ns: int) -> str | None:
        """``"ok"`` or ``"failed"`` for this exact file version, without reading the result; else ``None``."""
        entry = self._raw.get(path)
        if entry is None or entry[0] != file_size or entry[1] != mtime_ns:
            return None
        return "failed" if entry[2] else "ok"

    def latest(self, path: str) -> ProbeResult | None:
        """The newest result cached for ``path`` (any file version), or ``None``."""
        entry = self._raw.get(path)
        if entry is None:
            return None
        raw = json.loads(entry[3])
        file_size, mtime_ns = entry[0], entry[1]
        metadata = raw.get("metadata")
        return ProbeResult(path, file_size, mtime_ns,
                           None if metadata is None else VideoMetadata.from_dict(metadata), raw.get("error"))

    def append(self, results: Iterable[ProbeResult]) -> None:
        """Add results to the cache file now (flushed), superseding older results for the same paths."""
        lines = []
        for result in results:
            line = json.dumps(result.to_dict(), separators=(",", ":"))
            self._raw[result.path] = (result.file_size, result.mtime_ns, result.metadata is None, line)
            lines.append(line)
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new_file = not self.path.exists() or self._num_lines == 0
        with open(self.path, "w" if new_file else "a", encoding="utf-8") as handle:
            if new_file:
                handle.write(json.dumps({"temporal_ssl_probe_cache": CACHE_VERSION}) + "\n")
            handle.write("\n".join(lines) + "\n")
            handle.flush()
        self._num_lines += len(lines) + (1 if new_file else 0)

    def compact(self) -> None:
        """Rewrite the file without superseded lines, atomically, when they make up over half of it."""
        if self._num_lines <= 2 * (len(self._raw) + 1):
            return
        with atomic_open(self.path) as handle:
            handle.write(json.dumps({"temporal_ssl_probe_cache": CACHE_VERSION}) + "\n")
            for *_, line in self._raw.values():
                handle.write(line + "\n")
        self._num_lines = len(self._raw) + 1

    def _load(self) -> None:
        if not self.path.is_file():
            return
        with open(self.path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        try:
            header = json.loads(lines[0]) if lines else {}
        except json.JSONDecodeError:
            header = {}
        if header.get("temporal_ssl_probe_cache") != CACHE_VERSION:
            logger.info("ignoring probe cache '%s' written by another version; every file will be re-probed",
                        self.path)
            return
        for number, line in enumerate(lines[1:], start=2):
            try:
                raw = json.loads(line)
                self._raw[raw["path"]] = (int(raw["file_size"]), int(raw["mtime_ns"]),
                                          raw.get("metadata") is None, line)
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                # An interrupted build can leave a torn last line; anything else is damage worth a warning.
                level = logging.DEBUG if number == len(lines) else logging.WARNING
                logger.log(level, "skipping unreadable line %d of probe cache '%s'", number, self.path)
        self._num_lines = len(lines)
