"""The videos a corpus could not use, each with its reason: never dropped silently.

Three kinds are kept apart because users fix them differently: *quarantined* files exist but cannot be decoded
(re-download or re-encode them), *missing* files are listed by the annotations but absent (failed downloads),
and *dropped* videos were decodable but removed by a filter the user asked for (too short for a clip).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from temporal_ssl.atomic_write import atomic_open


@dataclass(frozen=True)
class QuarantinedVideo:
    """A file that exists but could not be probed; ``reason`` is the decoder's message."""

    path: str
    reason: str


@dataclass(frozen=True)
class MissingVideo:
    """A video the annotations list (``listed_in``, e.g. ``train.csv:12``) that is not on disk."""

    path: str
    listed_in: str


@dataclass(frozen=True)
class DroppedVideo:
    """A usable video that a filter removed, and why (e.g. ``"12 frames < min_num_frames 16"``)."""

    path: str
    reason: str


def write_jsonl(items: Iterable[QuarantinedVideo | MissingVideo | DroppedVideo], path: str | Path) -> Path:
    """Write one JSON object per item, atomically (a temporary file renamed into place)."""
    with atomic_open(path) as handle:
        for item in items:
            handle.write(json.dumps(asdict(item)) + "\n")
    return Path(path)


def summarize_reasons(reasons: Sequence[str], *, limit: int = 5) -> list[tuple[str, int]]:
    """The most common reasons, with the file-specific part removed so equal causes group together.

    A decoder message looks like ``cannot decode video '<path>' ...: <cause>``; grouping is by ``<cause>``.
    """
    causes = [reason.rsplit(": ", 1)[-1] if reason.startswith("cannot decode video") else reason
              for reason in reasons]
    return Counter(causes).most_common(limit)
