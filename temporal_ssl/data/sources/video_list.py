"""Unlabeled (or simply labeled) videos: every video under a folder, or the lines of a text list.

A list file has one video per line, ``<path>`` or ``<path> <label>`` (the mmaction2 ``VideoDataset`` format);
paths are relative to the video root unless absolute, blank lines and lines starting with ``#`` are ignored.
Either every line has a label or none does. Labels are integer ids; their names are the ids as text.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from temporal_ssl.data.quarantine import MissingVideo
from temporal_ssl.data.sources.listing import (
    VIDEO_EXTENSIONS,
    SourceListing,
    VideoEntry,
    check_root,
    read_lines,
    sidecar_annotations,
    walk_videos,
)
from temporal_ssl.errors import DatasetError
from temporal_ssl.registry import DATASETS


@DATASETS.register("list")
def video_list(root: str | Path, *, annotations: str | Path | None = None,
               extensions: Sequence[str] = VIDEO_EXTENSIONS) -> SourceListing:
    """List the videos of text file ``annotations``, or every video under ``root`` when it is ``None``.

    Args:
        root: video folder; relative paths of the list are resolved against it.
        annotations: a text list of videos (``<path> [<label>]`` per line), or ``None`` for all videos of
            root.
        extensions: file extensions counted as videos when listing the folder.
    """
    root_path = check_root(root, "list")
    if annotations is None:
        entries = tuple(VideoEntry(str(path), annotations=sidecar_annotations(path))
                        for path in walk_videos(root_path, extensions))
        if not entries:
            raise DatasetError(f"no video files ({', '.join(extensions)}) under '{root_path}'")
        return SourceListing("list", str(root_path), entries)
    list_path = Path(annotations)
    if not list_path.is_file():
        raise DatasetError(f"video list '{list_path}' does not exist; pass a text file with one video path "
                           "per line with --annotations (or leave it out to use every video under --root)")
    parsed = [(number, *_parse_line(line, f"{list_path}:{number}"))
              for number, line in read_lines(list_path) if not line.startswith("#")]
    labeled = {label is not None for _, _, label in parsed}
    if len(labeled) > 1:
        number = next(n for n, _, label in parsed if (label is None) != (parsed[0][2] is None))
        raise DatasetError(f"{list_path}:{number}: some lines have a label and some do not; label every line "
                           "('<path> <class id>') or none")
    num_classes = 1 + max((label for _, _, label in parsed if label is not None), default=-1)
    classes = tuple(str(i) for i in range(num_classes))
    entries_list: list[VideoEntry] = []
    missing: list[MissingVideo] = []
    for number, relative, label in parsed:
        path = os.path.abspath(os.path.join(root_path, relative))
        if not os.path.isfile(path):
            missing.append(MissingVideo(path, f"{list_path}:{number}"))
            continue
        entries_list.append(VideoEntry(path, label, None if label is None else classes[label],
                                       annotations=sidecar_annotations(path)))
    return SourceListing("list", str(root_path), tuple(entries_list), classes, tuple(missing))


def _parse_line(line: str, where: str) -> tuple[str, int | None]:
    """``(path, label)``; a trailing integer is the label, so paths may contain spaces."""
    head, _, tail = line.rpartition(" ")
    if head and tail.lstrip("-").isdigit():
        label = int(tail)
        if label < 0:
            raise DatasetError(f"{where}: label {label} is negative; class ids start at 0")
        return head.rstrip(), label
    return line, None
