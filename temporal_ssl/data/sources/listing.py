"""What a dataset format reader returns: the videos a corpus lists, before any file is probed.

A reader parses the official annotation files of its format and resolves each listed video to a file on disk.
It never opens a video: the index probes every listed file afterwards, in parallel and cached. Videos the
annotations list but the disk lacks (failed downloads, partial copies) are returned as ``missing`` so the
caller can report them; the rest load.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporal_ssl.data.quarantine import MissingVideo
from temporal_ssl.errors import DatasetError

VIDEO_EXTENSIONS: tuple[str, ...] = (
    ".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".flv", ".wmv", ".3gp", ".ogv", ".ts",
)
"""File extensions (lower case) treated as videos when a reader lists a folder."""


@dataclass(frozen=True)
class VideoEntry:
    """One video (or multi-camera scene) as the annotations list it, resolved to files but not probed.

    Args:
        path: the video file (camera 0 of a scene), absolute.
        label: class id (0-based), or ``None`` when unlabeled.
        class_name: the class as the format names it, or ``None``.
        split: ``"train"``, ``"val"``, ``"test"`` or ``None``.
        cameras: every camera file of a synchronised scene, camera 0 first (``cameras[0] == path``); empty for
            single-camera video.
        camera_offsets_seconds: scene time of each camera's frame 0, one per camera (see ``CameraStream``).
        annotations: extra per-video values recorded into ``VideoRecord.annotations`` (e.g. a boxes file).
    """

    path: str
    label: int | None = None
    class_name: str | None = None
    split: str | None = None
    cameras: tuple[str, ...] = ()
    camera_offsets_seconds: tuple[float, ...] = ()
    annotations: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.cameras and self.cameras[0] != self.path:
            raise ValueError(f"camera 0 of a scene must be its primary video '{self.path}', "
                             f"got '{self.cameras[0]}'")
        if len(self.camera_offsets_seconds) != len(self.cameras):
            raise ValueError(f"'{self.path}' has {len(self.cameras)} cameras but "
                             f"{len(self.camera_offsets_seconds)} offsets")

    @property
    def files(self) -> tuple[str, ...]:
        """Every file this entry needs probed (the cameras of a scene, or the one video)."""
        return self.cameras or (self.path,)


@dataclass(frozen=True)
class SourceListing:
    """Everything a format reader found: the entries, the class list, and what was listed but not found.

    Args:
        format: the registry name of the reader (``ucf101``, ``kinetics`` ...).
        root: the video root the reader was given.
        entries: resolved entries, in a deterministic order.
        classes: class names in label order (``classes[label]``); empty for unlabeled corpora.
        missing: videos the annotations list that are not on disk.
    """

    format: str
    root: str
    entries: tuple[VideoEntry, ...]
    classes: tuple[str, ...] = ()
    missing: tuple[MissingVideo, ...] = ()


def check_root(root: str | Path, format_name: str) -> Path:
    """The video root as an absolute path; a missing folder raises ``DatasetError`` saying what to pass."""
    path = Path(os.path.abspath(os.fspath(root)))
    if not path.is_dir():
        raise DatasetError(f"video root '{path}' of format '{format_name}' is not a folder; pass the folder "
                           "holding the videos with --root")
    return path


def check_official_split(split: int, format_name: str, dataset_name: str,
                         splits: Sequence[int] = (1, 2, 3)) -> None:
    """``DatasetError`` unless ``split`` is one of the dataset's official ``splits`` (UCF101, HMDB51)."""
    if split not in splits:
        listed = ", ".join(str(s) for s in splits[:-1]) + f" and {splits[-1]}"
        raise DatasetError(f"{format_name} split {split!r} does not exist; {dataset_name} has splits "
                           f"{listed} (pass --split {splits[0]})")


def find_video_root(root: Path, candidates: Sequence[str]) -> Path:
    """The first ``root/<candidate>`` folder that exists (an archive's own top folder), else ``root``."""
    return next((root / c for c in candidates if (root / c).is_dir()), root)


def find_annotation_dir(root: Path, annotations: str | Path | None, candidates: Sequence[str], *,
                        must_contain: str, format_name: str) -> Path:
    """The folder holding the split files: ``annotations`` if given, else the first candidate that exists.

    Args:
        root: video root; candidates are looked up relative to it (``..`` allowed).
        annotations: the user's ``--annotations`` folder, or ``None``.
        candidates: folder names to try, in order.
        must_contain: a glob a valid folder has at least one match for (e.g. ``trainlist*.txt``).
        format_name: used in messages.
    """
    if annotations is not None:
        path = Path(annotations)
        if not path.is_dir():
            raise DatasetError(f"annotation folder '{path}' for format '{format_name}' does not exist; pass "
                               f"the folder holding {must_contain} with --annotations")
        if not any(path.glob(must_contain)):
            raise DatasetError(f"annotation folder '{path}' holds no {must_contain} file; pass the folder of "
                               f"the official {format_name} split files with --annotations")
        return path
    tried = [(root / c).resolve() for c in candidates]
    for path in tried:
        if path.is_dir() and any(path.glob(must_contain)):
            return path
    raise DatasetError(
        f"no {format_name} split files ({must_contain}) found under '{root}'; looked in "
        f"{', '.join(str(p) for p in tried)}. Pass their folder with --annotations"
    )


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines of a text file as ``(line_number, stripped_text)``.

    Universal newlines and ``utf-8-sig`` make CRLF files (UCF101) and a leading BOM read like plain ones;
    stripping removes the trailing spaces HMDB51's split files carry.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise DatasetError(f"cannot read annotation file '{path}': {error}") from None
    except UnicodeDecodeError as error:
        raise DatasetError(f"annotation file '{path}' is not UTF-8 text ({error}); is it the right file?") \
            from None
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def is_video_file(name: str, extensions: Iterable[str] = VIDEO_EXTENSIONS) -> bool:
    """Whether a file name has a video extension (case-insensitive)."""
    return os.path.splitext(name)[1].lower() in tuple(extensions)


def walk_videos(root: Path, extensions: Iterable[str] = VIDEO_EXTENSIONS) -> Iterator[Path]:
    """Every video file under ``root``, recursively, sorted; hidden folders (caches) are skipped."""
    extensions = tuple(e.lower() for e in extensions)
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and is_video_file(name, extensions):
                yield Path(folder) / name


def sidecar_annotations(video: str | Path) -> dict[str, Any]:
    """Per-video annotation files kept beside a video: ``<stem>.boxes.json`` → ``{"boxes": path}``.

    The synthetic corpus (and ``tssl mine-tracks``) write object boxes this way.
    """
    boxes = Path(video).with_suffix(".boxes.json")
    return {"boxes": str(boxes)} if boxes.is_file() else {}


class FileLookup:
    """Find listed videos on disk the way the official layouts need: by relative path or by bare name.

    Matching ignores case and the extension (UCF101's split files and folders disagree on case; re-encoded
    copies of a dataset often change ``.avi`` to ``.mp4``). An exact match is preferred when several exist.
    """

    def __init__(self, root: Path, extensions: Iterable[str] = VIDEO_EXTENSIONS) -> None:
        self.root = root
        self._by_relative: dict[str, list[Path]] = {}
        self._by_stem: dict[str, list[Path]] = {}
        for path in walk_videos(root, extensions):
            relative = path.relative_to(root).as_posix()
            self._by_relative.setdefault(_key(relative), []).append(path)
            self._by_stem.setdefault(_key(path.name), []).append(path)

    def __len__(self) -> int:
        return sum(len(paths) for paths in self._by_relative.values())

    def by_relative_path(self, relative: str) -> Path | None:
        """The file at ``root/relative``, matched ignoring case and extension, or ``None``."""
        return _prefer(self._by_relative.get(_key(relative), []), self.root / relative)

    def by_name(self, name: str, *, preferred_folder: Path | None = None,
                ignore_case: bool = True) -> Path | None:
        """A file named ``name`` anywhere under the root (ignoring the extension), or ``None``.

        Args:
            name: file name, with or without extension.
            preferred_folder: when several files share the name, the one inside this folder wins.
            ignore_case: match names ignoring case; ``False`` for ids where case matters (YouTube ids).
        """
        paths = self._by_stem.get(_key(name), [])
        if not ignore_case:
            stem = _stem(name)
            paths = [p for p in paths if _stem(p.name) == stem]
        if preferred_folder is not None:
            folder = preferred_folder.as_posix().lower()
            inside = [p for p in paths if p.parent.as_posix().lower() == folder]
            if inside:
                paths = inside
        return _prefer(paths, self.root / name)


def _key(path: str) -> str:
    """Case- and extension-insensitive lookup key of a relative path."""
    normal = path.replace("\\", "/")
    stem, ext = os.path.splitext(normal)
    return (stem if ext.lower() in VIDEO_EXTENSIONS else normal).lower()


def _stem(name: str) -> str:
    """A file name without its video extension, case kept."""
    stem, ext = os.path.splitext(name)
    return stem if ext.lower() in VIDEO_EXTENSIONS else name


def _prefer(paths: list[Path], exact: Path) -> Path | None:
    if not paths:
        return None
    for path in paths:
        if path == exact:
            return path
    return paths[0]
