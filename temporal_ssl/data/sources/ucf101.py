"""UCF101 in its official layout: ``UCF-101/<Class>/v_<Class>_gGG_cCC.avi`` + ``ucfTrainTestlist/``.

The split files are read exactly as released: ``classInd.txt`` holds ``"<id> <Class>"`` with 1-based ids;
``trainlistNN.txt`` holds ``"<Class>/<file>.avi <id>"``; ``testlistNN.txt`` holds ``"<Class>/<file>.avi"``
without a label (the label comes from the folder). Lines end in CRLF, and a few class names differ in case
between the split files and the folders (``HandstandPushups`` vs ``HandStandPushups``), so files and classes
are matched ignoring case (and the extension, for re-encoded copies).
"""

from __future__ import annotations

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

_ANNOTATION_CANDIDATES = ("ucfTrainTestlist", "splits", "../ucfTrainTestlist", "../splits", ".")
_VIDEO_ROOT_CANDIDATES = ("UCF-101", "videos")


@DATASETS.register("ucf101")
def ucf101(root: str | Path, *, annotations: str | Path | None = None, split: int = 1) -> SourceListing:
    """List UCF101 split ``split`` (train and test videos) from the official split files.

    Args:
        root: the ``UCF-101`` folder of class folders (a folder holding ``UCF-101/`` or ``videos/`` also
            works).
        annotations: the ``ucfTrainTestlist`` folder; searched beside and inside ``root`` when ``None``.
        split: official split 1, 2 or 3.
    """
    check_official_split(split, "ucf101", "UCF101")
    root_path = check_root(root, "ucf101")
    split_dir = find_annotation_dir(root_path, annotations, _ANNOTATION_CANDIDATES,
                                    must_contain="classInd.txt", format_name="ucf101")
    video_root = find_video_root(root_path, _VIDEO_ROOT_CANDIDATES)
    classes = read_class_index(split_dir / "classInd.txt")
    by_lower = {name.lower(): label for label, name in enumerate(classes)}
    lookup = FileLookup(video_root)
    entries: list[VideoEntry] = []
    missing: list[MissingVideo] = []
    lists = (("train", f"trainlist{split:02d}.txt"), ("test", f"testlist{split:02d}.txt"))
    for split_name, file_name in lists:
        list_path = split_dir / file_name
        if not list_path.is_file():
            raise DatasetError(f"UCF101 split file '{list_path}' does not exist; the official "
                               f"ucfTrainTestlist folder holds {file_name} (is --annotations right?)")
        for number, line in read_lines(list_path):
            relative, label = _parse_split_line(line, list_path, number, classes, by_lower)
            path = lookup.by_relative_path(relative)
            if path is None:
                missing.append(MissingVideo(str(video_root / relative), f"{list_path}:{number}"))
                continue
            entries.append(VideoEntry(str(path), label, classes[label], split_name,
                                      annotations=sidecar_annotations(path)))
    return SourceListing("ucf101", str(root_path), tuple(entries), classes, tuple(missing))


def read_class_index(path: Path) -> tuple[str, ...]:
    """Class names in label order from ``classInd.txt`` (``"<1-based id> <Class>"`` per line)."""
    if not path.is_file():
        raise DatasetError(f"UCF101 class list '{path}' does not exist; it ships in the official "
                           "ucfTrainTestlist folder (pass that folder with --annotations)")
    names: dict[int, str] = {}
    for number, line in read_lines(path):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise DatasetError(f"{path}:{number}: expected '<id> <ClassName>', got {line!r}")
        class_id = int(parts[0])
        if class_id in names:
            raise DatasetError(f"{path}:{number}: class id {class_id} is listed twice "
                               f"('{names[class_id]}' and '{parts[1]}')")
        names[class_id] = parts[1]
    if sorted(names) != list(range(1, len(names) + 1)):
        raise DatasetError(f"class ids in '{path}' must be 1..{len(names)} (1-based, no gaps), "
                           f"got {sorted(names)[:5]}...")
    return tuple(names[i] for i in range(1, len(names) + 1))


def _parse_split_line(line: str, list_path: Path, number: int, classes: tuple[str, ...],
                      by_lower: dict[str, int]) -> tuple[str, int]:
    """``(relative video path, 0-based label)`` of one train/test list line."""
    parts = line.split()
    where = f"{list_path}:{number}"
    if len(parts) not in (1, 2) or "/" not in parts[0]:
        raise DatasetError(f"{where}: expected '<Class>/<video file> [<class id>]', got {line!r}")
    relative = parts[0]
    folder_class = relative.split("/")[0].lower()
    if folder_class not in by_lower:
        raise DatasetError(f"{where}: folder '{relative.split('/')[0]}' names no class of classInd.txt "
                           "(is this the classInd.txt of the same release?)")
    label = by_lower[folder_class]
    if len(parts) == 2:
        if not parts[1].isdigit() or not 1 <= int(parts[1]) <= len(classes):
            raise DatasetError(f"{where}: class id {parts[1]!r} is not in 1..{len(classes)} of classInd.txt")
        if int(parts[1]) - 1 != label:
            raise DatasetError(f"{where}: class id {parts[1]} is '{classes[int(parts[1]) - 1]}' but the "
                               f"video lies in folder '{relative.split('/')[0]}'; the split file and "
                               "classInd.txt disagree")
    return relative, label
