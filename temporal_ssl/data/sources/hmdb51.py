"""HMDB51 in its official layout: ``<class>/<video>.avi`` + ``testTrainMulti_7030_splits/``.

Each class has one file per split, ``<class>_test_split<N>.txt``, listing every video of the class as
``"<video>.avi <flag>"`` with ``1`` = train, ``2`` = test, ``0`` = not used in this split; the released files
end lines with a trailing space. Class ids follow the alphabetical order of the class names (the convention of
mmaction2 and PySlowFast), since HMDB51 ships no class index.
"""

from __future__ import annotations

import re
from pathlib import Path

from temporal_ssl.data.quarantine import MissingVideo
from temporal_ssl.data.sources.listing import (
    FileLookup,
    SourceListing,
    VideoEntry,
    check_official_split,
    check_root,
    find_annotation_dir,
    find_video_root,
    read_lines,
    sidecar_annotations,
)
from temporal_ssl.errors import DatasetError
from temporal_ssl.registry import DATASETS

_FLAG_TO_SPLIT = {"1": "train", "2": "test"}
_ANNOTATION_CANDIDATES = ("testTrainMulti_7030_splits", "splits", "../testTrainMulti_7030_splits",
                          "../splits", ".")
_VIDEO_ROOT_CANDIDATES = ("hmdb51_org", "videos")


@DATASETS.register("hmdb51")
def hmdb51(root: str | Path, *, annotations: str | Path | None = None, split: int = 1) -> SourceListing:
    """List HMDB51 split ``split`` (its train and test videos; flag-0 videos are left out).

    Args:
        root: the folder of class folders (a folder holding ``hmdb51_org/`` or ``videos/`` also works).
        annotations: the ``testTrainMulti_7030_splits`` folder; searched beside and inside ``root`` when
            ``None``.
        split: official split 1, 2 or 3.
    """
    check_official_split(split, "hmdb51", "HMDB51")
    root_path = check_root(root, "hmdb51")
    split_dir = find_annotation_dir(root_path, annotations, _ANNOTATION_CANDIDATES,
                                    must_contain=f"*_test_split{split}.txt", format_name="hmdb51")
    video_root = find_video_root(root_path, _VIDEO_ROOT_CANDIDATES)
    pattern = re.compile(rf"^(?P<name>.+)_test_split{split}\.txt$")
    split_files = sorted((m.group("name"), p) for p in split_dir.iterdir() if (m := pattern.match(p.name)))
    classes = tuple(name for name, _ in split_files)
    lookup = FileLookup(video_root)
    entries: list[VideoEntry] = []
    missing: list[MissingVideo] = []
    for label, (class_name, list_path) in enumerate(split_files):
        for number, line in read_lines(list_path):
            parts = line.split()
            if len(parts) != 2 or parts[1] not in ("0", "1", "2"):
                raise DatasetError(f"{list_path}:{number}: expected '<video file> <0|1|2>' (0 unused, "
                                   f"1 train, 2 test), got {line!r}")
            if parts[1] == "0":
                continue
            path = (lookup.by_relative_path(f"{class_name}/{parts[0]}")
                    or lookup.by_name(parts[0], preferred_folder=video_root / class_name))
            if path is None:
                missing.append(MissingVideo(str(video_root / class_name / parts[0]), f"{list_path}:{number}"))
                continue
            entries.append(VideoEntry(str(path), label, class_name, _FLAG_TO_SPLIT[parts[1]],
                                      annotations=sidecar_annotations(path)))
    return SourceListing("hmdb51", str(root_path), tuple(entries), classes, tuple(missing))
