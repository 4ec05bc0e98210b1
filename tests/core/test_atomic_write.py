"""Atomic writes: whole files or the previous content, never a half file, even with two writers at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from temporal_ssl.atomic_write import atomic_open, atomic_path, write_text_atomic


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_writes_the_whole_file_and_makes_its_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "file.json"
    assert write_text_atomic(path, "{\"a\": 1}\n") == path
    assert path.read_text() == "{\"a\": 1}\n" and _leftovers(path.parent) == []


def test_a_failed_write_keeps_the_previous_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(path) as handle:
        handle.write("half of the new")
        raise RuntimeError("disk full")
    assert path.read_text() == "old" and _leftovers(tmp_path) == []


def test_two_writers_of_one_file_both_finish_and_the_last_wins(tmp_path: Path) -> None:
    """Two jobs writing the same cache file at once each rename a complete copy of their own."""
    path = tmp_path / "clip.boxes.json"
    with atomic_open(path) as first:
        first.write("first")
        with atomic_open(path, durable=True) as second:
            second.write("second")
        assert path.read_text() == "second"
    assert path.read_text() == "first" and _leftovers(tmp_path) == []


def test_a_path_for_writers_that_take_a_file_name(tmp_path: Path) -> None:
    path = tmp_path / "video.mp4"
    with atomic_path(path) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".video.mp4.") and tmp.suffix == ".tmp"
        tmp.write_bytes(b"\0\1")
        assert not path.exists()
    assert path.read_bytes() == b"\0\1"


def test_new_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """Shared caches stay readable by others: the file's mode follows the umask, not a private 0600."""
    umask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "index.jsonl", "")
    finally:
        os.umask(umask)
    assert (tmp_path / "index.jsonl").stat().st_mode & 0o777 == 0o644


def test_only_whole_file_modes() -> None:
    with pytest.raises(ValueError, match="'a'"), atomic_open("x.txt", "a"):
        pass
