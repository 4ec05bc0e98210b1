"""A folder of class sub-folders: ``<root>/<class>/**/<video>`` (the torchvision ``DatasetFolder`` layout).

Class ids follow the alphabetical order of the sub-folder names. Hidden folders are ignored, so an index cache
kept inside the root never shows up as a class.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from temporal_ssl.data.sources.listing import (
    VIDEO_EXTENSIONS,
    SourceListing,
    VideoEntry,
    check_root,
    sidecar_annotations,
    walk_videos,
)
from temporal_ssl.errors import DatasetError
from temporal_ssl.registry import DATASETS


@DATASETS.register("folder")
def folder(root: str | Path, *, extensions: Sequence[str] = VIDEO_EXTENSIONS) -> SourceListing:
    """List every video under ``root/<class>/`` with the class of its top-level folder.

    Args:
        root: folder of class sub-folders.
        extensions: file extensions counted as videos (lower case, with the dot).
    """
    root_path = check_root(root, "folder")
    classes = tuple(sorted(p.name for p in root_path.iterdir() if p.is_dir() and not p.name.startswith(".")))
    if not classes:
        raise DatasetError(f"'{root_path}' has no class sub-folders; format 'folder' expects "
                           "<root>/<class>/<video>. For a flat folder of unlabeled videos use --format list")
    entries = [VideoEntry(str(path), label, name, annotations=sidecar_annotations(path))
               for label, name in enumerate(classes)
               for path in walk_videos(root_path / name, extensions)]
    if not entries:
        raise DatasetError(f"no video files ({', '.join(extensions)}) under the class folders of "
                           f"'{root_path}'")
    return SourceListing("folder", str(root_path), tuple(entries), classes)
