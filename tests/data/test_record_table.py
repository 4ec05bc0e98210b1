"""RecordTable: columns that hold every field of a record, a mapped file shared instead of copied, views,
concatenation."""

from __future__ import annotations

import mmap
import pickle
from pathlib import Path

import numpy as np
import pytest

from temporal_ssl.data.record_table import RecordTable, concat_tables, select_records, shortest_cameras
from temporal_ssl.errors import DatasetError
from temporal_ssl.frame_table import FrameTable
from temporal_ssl.types import CameraStream, VideoMetadata, VideoRecord


def _metadata(name: str, frames: int, *, table: bool = True, motion: bool = True) -> VideoMetadata:
    pts = [3 * i * i for i in range(frames)]  # a variable step: one run per frame
    frame_table = FrameTable.from_pts(pts, 1 / 90000, [0, frames // 2], ("pyav", "decord"),
                                      pts_from_decoder=frames % 2 == 0) if table else None
    return VideoMetadata(f"/videos/{name}.mp4", frames, 29.97, 64, 48, frames / 29.97, "h264", 90,
                         frame_table, tuple(float(i % 5) / 4 for i in range(frames)) if motion else None,
                         1000 + frames, 123456789)


def _records() -> list[VideoRecord]:
    records = [VideoRecord(i, _metadata(f"v{i}_ünï", 5 + i), label=i % 3 if i != 2 else None,
                           class_name=f"class {i % 3}" if i != 2 else None,
                           split=("train", "test", None)[i % 3]) for i in range(5)]
    records.append(VideoRecord(5, _metadata("plain", 3, table=False, motion=False)))
    scene = (CameraStream(_metadata("cam0", 9), 0.0), CameraStream(_metadata("cam1", 7), 0.25))
    records.append(VideoRecord(6, scene[0].metadata, cameras=scene, annotations={"boxes": "b.json"}))
    return records


def test_every_field_survives_the_file(tmp_path: Path) -> None:
    records = _records()
    path = RecordTable.from_records(records).save(tmp_path / "corpus.index")
    loaded = RecordTable.load(path)
    assert list(loaded) == records
    assert loaded[-1].camera(1).offset_seconds == 0.25 and loaded[-1].annotations == {"boxes": "b.json"}
    assert shortest_cameras(loaded).tolist() == [5, 6, 7, 8, 9, 3, 7]
    assert loaded.labels().tolist() == [0, 1, -1, 0, 1, -1, -1]


def test_a_loaded_table_is_mapped_and_travels_to_workers_as_its_path(tmp_path: Path) -> None:
    records = _records() * 200
    path = RecordTable.from_records(records).save(tmp_path / "corpus.index")
    loaded = RecordTable.load(path)
    base = loaded._a["motion"]
    while isinstance(base, np.ndarray):
        base = base.base
    assert isinstance(base.obj if isinstance(base, memoryview) else base, mmap.mmap)  # the file's pages
    view = loaded.where(loaded.labels() == 1)
    pickled = pickle.dumps(view)
    assert len(pickled) < 512 + 8 * len(view) < len(pickle.dumps(view.compacted())) / 4  # path and rows
    assert list(pickle.loads(pickled)) == [r for r in records if r.label == 1]


def test_views_and_concatenation_keep_records_in_order(tmp_path: Path) -> None:
    records = _records()
    table = RecordTable.from_records(records)
    assert list(table.take([6, 0, 3])) == [records[6], records[0], records[3]]
    assert list(table[2:5]) == records[2:5] and table[-1] == records[-1]
    assert list(select_records(records, np.array([r.label == 0 for r in records]))) == [records[0],
                                                                                        records[3]]
    halves = [RecordTable.from_records(records[4:]), table.take([0, 1, 2, 3])]
    assert list(concat_tables(halves)) == records[4:] + records[:4]
    compact = table.take([6, 1]).compacted()
    assert compact.save(tmp_path / "two.index") and list(RecordTable.load(tmp_path / "two.index")) == [
        records[6], records[1]]
    with pytest.raises(IndexError):
        table[len(records)]


def test_a_file_that_is_not_a_table_is_refused_with_the_remedy(tmp_path: Path) -> None:
    bad = tmp_path / "bad.index"
    bad.write_bytes(b"not an index")
    with pytest.raises(DatasetError, match="rebuild it with build_index"):
        RecordTable.load(bad)
