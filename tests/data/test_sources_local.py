"""Readers for local layouts: a folder of class folders, a flat folder or a text list, multi-camera scenes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from temporal_ssl.data.sources import folder, multicamera, video_list
from temporal_ssl.errors import DatasetError


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return path


def test_folder_of_classes_labels_by_sorted_folder_and_skips_hidden(tmp_path: Path) -> None:
    files = [_touch(tmp_path / c / n) for c, n in [("walk", "a.mp4"), ("run", "b.avi"), ("run", "sub/c.MKV")]]
    _touch(tmp_path / ".temporal_ssl" / "x.mp4")
    _touch(tmp_path / "walk" / "notes.txt")
    listing = folder(tmp_path)
    assert listing.classes == ("run", "walk")
    assert {(e.path, e.label, e.class_name) for e in listing.entries} == {
        (str(files[0]), 1, "walk"), (str(files[1]), 0, "run"), (str(files[2]), 0, "run")}


def test_folder_of_classes_flat_folder_points_to_list(tmp_path: Path) -> None:
    _touch(tmp_path / "a.mp4")
    with pytest.raises(DatasetError, match="has no class sub-folders.*use --format list"):
        folder(tmp_path)


def test_video_list_flat_folder_and_text_list(tmp_path: Path) -> None:
    paths = [_touch(tmp_path / "x" / "b.mp4"), _touch(tmp_path / "a b.mp4")]
    listing = video_list(tmp_path)
    assert [e.path for e in listing.entries] == sorted(str(p) for p in paths)
    assert all(e.label is None for e in listing.entries)
    list_file = tmp_path / "list.txt"
    list_file.write_text("# comment\na b.mp4 2\nx/b.mp4 0\ngone.mp4 1\n")
    listing = video_list(tmp_path, annotations=list_file)
    assert [(Path(e.path).name, e.label) for e in listing.entries] == [("a b.mp4", 2), ("b.mp4", 0)]
    assert listing.classes == ("0", "1", "2")
    assert [(Path(m.path).name, m.listed_in) for m in listing.missing] == [("gone.mp4", f"{list_file}:4")]


def test_video_list_mixed_labels_is_an_error(tmp_path: Path) -> None:
    list_file = tmp_path / "list.txt"
    list_file.write_text("a.mp4 1\nb.mp4\n")
    with pytest.raises(DatasetError, match=re.escape(f"{list_file}:2: some lines have a label")):
        video_list(tmp_path, annotations=list_file)


def test_multicamera_scenes_offsets_and_boxes(tmp_path: Path) -> None:
    for k in range(3):
        _touch(tmp_path / "scene_000" / f"cam{k}.mp4")
    (tmp_path / "scene_000" / "sync.json").write_text(json.dumps(
        {"offsets_seconds": {"cam0": 0.0, "cam1": 0.04, "cam2": -0.02}}))
    (tmp_path / "scene_000" / "boxes.json").write_text("{}")
    _touch(tmp_path / "scene_001" / "cam0.mp4")
    _touch(tmp_path / "scene_002" / "cam1.mp4")  # camera 0 absent: reported, scene left out
    listing = multicamera(tmp_path)
    assert [e.annotations["scene"] for e in listing.entries] == ["scene_000", "scene_001"]
    scene = listing.entries[0]
    assert scene.cameras == tuple(str(tmp_path / "scene_000" / f"cam{k}.mp4") for k in range(3))
    assert scene.path == scene.cameras[0]
    assert scene.camera_offsets_seconds == (0.0, 0.04, -0.02)
    assert scene.annotations["boxes"] == str(tmp_path / "scene_000" / "boxes.json")
    assert listing.entries[1].camera_offsets_seconds == (0.0,)
    assert [Path(m.path).name for m in listing.missing] == ["cam0.*"]


def test_multicamera_sync_file_must_name_every_camera(tmp_path: Path) -> None:
    for k in range(2):
        _touch(tmp_path / "s" / f"cam{k}.mp4")
    sync = tmp_path / "s" / "sync.json"
    sync.write_text(json.dumps({"offsets_seconds": {"cam0": 0.0, "cam5": 1.0}}))
    with pytest.raises(DatasetError,
                       match=re.escape(f"'{sync}' must give an offset for exactly the cameras")):
        multicamera(tmp_path)
