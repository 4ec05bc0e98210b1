"""Synchronised multi-camera scenes: ``<root>/<scene>/cam<k>.<ext>``, optional ``sync.json``, ``boxes.json``.

One entry per scene; camera 0 is the primary video. ``sync.json`` holds ``{"offsets_seconds": {"cam0": 0.0,
"cam1": 0.04}}``, the scene time of each camera's frame 0 (absent: all cameras start together); it must name
every camera of the scene. ``boxes.json`` (ground-truth object boxes) is recorded as
``annotations["boxes"]``. A scene whose cameras are not numbered 0..K-1 is reported as missing a camera and
left out; the other scenes load.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from temporal_ssl.data.quarantine import MissingVideo
from temporal_ssl.data.sources.listing import VIDEO_EXTENSIONS, SourceListing, VideoEntry, check_root
from temporal_ssl.errors import DatasetError
from temporal_ssl.registry import DATASETS

_CAMERA_FILE = re.compile(r"^cam(\d+)(\.[A-Za-z0-9]+)$")


@DATASETS.register("multicamera")
def multicamera(root: str | Path, *, extensions: Sequence[str] = VIDEO_EXTENSIONS) -> SourceListing:
    """List every scene folder of ``root`` holding ``cam<k>`` videos as one multi-camera entry.

    Args:
        root: folder of scene folders.
        extensions: file extensions counted as videos.
    """
    root_path = check_root(root, "multicamera")
    entries: list[VideoEntry] = []
    missing: list[MissingVideo] = []
    for scene in sorted(p for p in root_path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        cameras = _camera_files(scene, extensions)
        if not cameras:
            continue
        expected = list(range(max(cameras) + 1))
        absent = [k for k in expected if k not in cameras]
        if absent:
            missing.extend(MissingVideo(str(scene / f"cam{k}.*"),
                                        f"{scene} (cameras must be numbered 0..K-1)")
                           for k in absent)
            continue
        files = tuple(str(cameras[k]) for k in expected)
        offsets = _read_offsets(scene / "sync.json", [f"cam{k}" for k in expected])
        annotations: dict[str, Any] = {"scene": scene.name}
        if (scene / "boxes.json").is_file():
            annotations["boxes"] = str(scene / "boxes.json")
        entries.append(VideoEntry(files[0], cameras=files, camera_offsets_seconds=offsets,
                                  annotations=annotations))
    if not entries and not missing:
        raise DatasetError(f"'{root_path}' holds no scene folder with cam<k> videos; format 'multicamera' "
                           "expects <root>/<scene>/cam0.mp4, cam1.mp4 ...")
    return SourceListing("multicamera", str(root_path), tuple(entries), (), tuple(missing))


def _camera_files(scene: Path, extensions: Sequence[str]) -> dict[int, Path]:
    """``{k: path}`` of the ``cam<k>.<ext>`` videos of a scene; two files for one camera is an error."""
    found: dict[int, Path] = {}
    for path in sorted(scene.iterdir()):
        match = _CAMERA_FILE.match(path.name)
        if match is None or match.group(2).lower() not in tuple(extensions) or not path.is_file():
            continue
        camera = int(match.group(1))
        if camera in found:
            raise DatasetError(f"scene '{scene}' has two files for camera {camera} ('{found[camera].name}' "
                               f"and '{path.name}'); keep one")
        found[camera] = path
    return found


def _read_offsets(path: Path, names: list[str]) -> tuple[float, ...]:
    """Start offset of each camera in seconds from ``sync.json`` (all 0 when the file is absent)."""
    if not path.is_file():
        return tuple(0.0 for _ in names)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        offsets = data["offsets_seconds"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
        raise DatasetError(f"cannot read '{path}' ({error!r}); expected "
                           '{"offsets_seconds": {"cam0": 0.0, "cam1": 0.04, ...}}') from None
    if not isinstance(offsets, dict):
        raise DatasetError(f"'{path}': offsets_seconds must map camera names to seconds, got {offsets!r:.80}")
    absent = [n for n in names if n not in offsets]
    extra = [n for n in offsets if n not in names]
    if absent or extra:
        raise DatasetError(f"'{path}' must give an offset for exactly the cameras of its scene "
                           f"({', '.join(names)}); missing {absent or 'none'}, unknown {extra or 'none'}")
    try:
        return tuple(float(offsets[n]) for n in names)
    except (TypeError, ValueError):
        raise DatasetError(f"'{path}': every offset must be a number of seconds, got {offsets!r:.120}") \
            from None
