"""``RecordTable``: the records of a corpus as columns of numpy arrays, memory-mapped from one index file.

A list of ``VideoRecord`` objects holds every frame table and motion profile as tuples of Python floats, many
times the size of the numbers themselves, and DataLoader workers that touch such a list copy it page by page
as reference counts change (``benchmarks/index_scale.py`` measures both designs). A table keeps the same
information in flat arrays: one row per record, one row per video file (*stream*; a multi-camera scene has one
per camera), and the variable-length parts (frame-table runs, keyframes, motion profiles, paths) concatenated
with offsets. Loading maps the file read-only, so it
takes milliseconds whatever the corpus size, pages are read when a sample needs them and are shared by every
process that maps the file, and ``table[i]`` builds the one ``VideoRecord`` a sample needs.

The file: ``TSSLIDX1``, the length of a JSON header, the header (vocabularies, classes, array names, dtypes,
shapes and offsets), then every array at a 64-byte aligned offset. Filtering returns a view holding the
selected row numbers, so a filtered table is still a few arrays.
"""

from __future__ import annotations

import json
import mmap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from temporal_ssl.atomic_write import atomic_open
from temporal_ssl.errors import DatasetError
from temporal_ssl.frame_table import FrameTable
from temporal_ssl.types import CameraStream, VideoMetadata, VideoRecord

MAGIC = b"TSSLIDX1"
FORMAT_VERSION = 1
_ALIGN = 64
BACKEND_BITS = ("pyav", "torchcodec", "decord")
"""Backends in the order of the bits of the ``seek_exact`` column."""


class RecordTable(Sequence[VideoRecord]):
    """A read-only sequence of ``VideoRecord`` stored as columns (see the module docstring).

    Build one with :meth:`from_records` or :meth:`load`; ``rows`` (an int64 array of record rows, or
    ``None`` for all of them, in order) makes a filtered view without copying the columns.
    """

    def __init__(self, arrays: dict[str, np.ndarray], vocab: dict[str, list[str]], *,
                 rows: np.ndarray | None = None, path: Path | None = None,
                 header: dict[str, Any] | None = None) -> None:
        self._a = arrays
        self._vocab = vocab
        self._rows = rows
        self._path = path
        self.header = header or {}
        """What the writer kept beside the columns (classes, format, root)."""

    # -- construction -------------------------------------------------------------------------------------

    @classmethod
    def from_records(cls, records: Sequence[VideoRecord]) -> RecordTable:
        """Columns holding ``records`` (already a table: returned as it is)."""
        if isinstance(records, RecordTable):
            return records
        builder = table_builder()
        for record in records:
            builder.add(record)
        return builder.finish()

    def renumbered(self, ids: np.ndarray) -> RecordTable:
        """A compact copy whose records carry the ids ``ids`` (``VideoRecord.index``) instead."""
        arrays = dict(self.compacted()._a)
        arrays["rec_index"] = np.asarray(ids, dtype=np.int64)
        return RecordTable(arrays, self._vocab, header=self.header)

    @classmethod
    def load(cls, path: str | Path) -> RecordTable:
        """Map an index file written by :meth:`save` read-only (milliseconds, whatever its size)."""
        path = Path(path)
        with open(path, "rb") as handle:
            magic = handle.read(len(MAGIC))
            if magic != MAGIC:
                raise DatasetError(f"'{path}' is not a columnar index file; rebuild it with build_index")
            header_size = int.from_bytes(handle.read(8), "little")
            header = json.loads(handle.read(header_size))
        if header.get("version") != FORMAT_VERSION:
            raise DatasetError(f"'{path}' was written in index format {header.get('version')}, this version "
                               f"reads format {FORMAT_VERSION}; rebuild the index with build_index")
        with open(path, "rb") as handle:
            # Plain arrays over one read-only map (np.memmap's per-access overhead would triple a lookup).
            whole = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        arrays = {}
        for name, (dtype, shape, offset) in header["arrays"].items():
            count = int(np.prod(shape))
            arrays[name] = np.frombuffer(whole, dtype=dtype, count=count, offset=offset).reshape(shape)
        return cls(arrays, header["vocab"], path=path, header=header)

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the table (only a view's rows) to ``path`` atomically; ``extra`` goes into the header."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = self.compacted()._a
        layout: dict[str, tuple[str, list[int], int]] = {}
        offset = 0
        for name, array in arrays.items():
            layout[name] = (array.dtype.str, list(array.shape), offset)
            offset += _aligned(array.nbytes)
        header = {"version": FORMAT_VERSION, "vocab": self._vocab, **(extra or {}), "arrays": layout}
        # Array offsets are relative to the data start until the header size is known.
        data_start = _aligned(len(MAGIC) + 8 + len(json.dumps(header)) + 64 * len(layout) + 256)
        header["arrays"] = {n: (d, s, o + data_start) for n, (d, s, o) in layout.items()}
        encoded = json.dumps(header).encode()
        if len(MAGIC) + 8 + len(encoded) > data_start:
            raise AssertionError("index header outgrew its reserved space")
        with atomic_open(path, "wb") as handle:
            handle.write(MAGIC + len(encoded).to_bytes(8, "little") + encoded)
            handle.write(b"\0" * (data_start - handle.tell()))
            for array in arrays.values():
                data = np.ascontiguousarray(array).tobytes()
                handle.write(data + b"\0" * (_aligned(len(data)) - len(data)))
        return path

    # -- sequence -----------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows) if self._rows is not None else len(self._a["rec_index"])

    @overload
    def __getitem__(self, position: int) -> VideoRecord: ...

    @overload
    def __getitem__(self, position: slice) -> RecordTable: ...

    def __getitem__(self, position: int | slice) -> VideoRecord | RecordTable:
        if isinstance(position, slice):
            return self.take(np.arange(len(self))[position])
        count = len(self)
        if not -count <= position < count:
            raise IndexError(f"record {position} is outside a table of {count} records")
        position %= count
        return self._record(int(self._rows[position]) if self._rows is not None else position)

    def __iter__(self) -> Iterator[VideoRecord]:
        for position in range(len(self)):
            yield self[position]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordTable | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        # A mapped table travels to spawned workers as its path (and selected rows), not as its pages.
        if self._path is not None:
            return (_reopen, (str(self._path), self._rows))
        return (RecordTable, (self._a, self._vocab), {"_rows": self._rows, "_path": None,
                                                      "header": self.header})

    def __repr__(self) -> str:
        where = f" from '{self._path}'" if self._path is not None else ""
        return f"RecordTable({len(self)} records{where})"

    # -- columns and views --------------------------------------------------------------------------------

    def rows(self) -> np.ndarray:
        """The record rows this view shows, in order (int64)."""
        return self._rows if self._rows is not None else np.arange(len(self._a["rec_index"]), dtype=np.int64)

    def take(self, positions: np.ndarray | Sequence[int]) -> RecordTable:
        """A view with the records at ``positions`` of this view, in that order."""
        positions = np.asarray(positions, dtype=np.int64)
        return self.take_rows(self.rows()[positions] if len(positions) else np.zeros(0, dtype=np.int64))

    def take_rows(self, rows: np.ndarray) -> RecordTable:
        """A view with the records stored at ``rows`` of the columns, in that order."""
        return RecordTable(self._a, self._vocab, rows=np.asarray(rows, dtype=np.int64), path=self._path,
                           header=self.header)

    def where(self, keep: np.ndarray) -> RecordTable:
        """A view with the records where the boolean array ``keep`` (one value per record) is true."""
        return self.take(np.flatnonzero(keep))

    def labels(self) -> np.ndarray:
        """int64 label of every record, -1 where unlabeled."""
        return self._a["rec_label"][self.rows()].astype(np.int64)

    def splits(self) -> np.ndarray:
        """The split of every record as an object array of str or ``None``."""
        names = np.array([*self._vocab["split"], None], dtype=object)
        return names[self._a["rec_split"][self.rows()]]

    def min_camera_frames(self) -> np.ndarray:
        """int64 frames of the shortest camera of every record (its only video for single-camera ones)."""
        rows = self.rows()
        start = self._a["rec_stream"][rows]
        count = np.maximum(self._a["rec_cameras"][rows].astype(np.int64), 1)
        frames = self._a["st_frames"]
        result = frames[start].astype(np.int64)
        for k in range(1, int(count.max()) if len(count) else 1):
            more = count > k
            result[more] = np.minimum(result[more], frames[start[more] + k])
        return result

    def compacted(self) -> RecordTable:
        """A table whose columns hold exactly this view's records (row ``i`` = record ``i``)."""
        if self._rows is None:
            return self
        return RecordTable(_gather(self._a, self._rows), self._vocab, header=self.header)

    # -- one record ---------------------------------------------------------------------------------------

    def _record(self, row: int) -> VideoRecord:
        a = self._a
        start, cameras = int(a["rec_stream"][row]), int(a["rec_cameras"][row])
        streams = [self._stream(start + k) for k in range(max(cameras, 1))]
        camera_list = tuple(CameraStream(meta, float(a["st_offset"][start + k]))
                            for k, meta in enumerate(streams)) if cameras else ()
        label = int(a["rec_label"][row])
        class_code = int(a["rec_class"][row])
        split_code = int(a["rec_split"][row])
        annotations = _text(a["rec_ann_bytes"], a["rec_ann_off"], row)
        return VideoRecord(
            index=int(a["rec_index"][row]), metadata=streams[0], label=None if label < 0 else label,
            class_name=None if class_code < 0 else self._vocab["class_name"][class_code],
            split=None if split_code >= len(self._vocab["split"]) else self._vocab["split"][split_code],
            cameras=camera_list, annotations=json.loads(annotations) if annotations else {})

    def _stream(self, s: int) -> VideoMetadata:
        a = self._a
        table = None
        if a["st_has_table"][s]:
            r0, r1 = int(a["st_runs_off"][s]), int(a["st_runs_off"][s + 1])
            k0, k1 = int(a["st_key_off"][s]), int(a["st_key_off"][s + 1])
            bits = int(a["st_seek"][s])
            table = FrameTable(tuple(tuple(int(v) for v in run) for run in a["runs"][r0:r1]),  # type: ignore[misc]
                               float(a["st_time_base"][s]), tuple(a["keyframes"][k0:k1].tolist()),
                               tuple(n for i, n in enumerate(BACKEND_BITS) if bits >> i & 1),
                               bool(a["st_pts_dec"][s]))
        motion = None
        if a["st_has_motion"][s]:
            m0, m1 = int(a["st_motion_off"][s]), int(a["st_motion_off"][s + 1])
            motion = tuple(a["motion"][m0:m1].astype(np.float64).tolist())
        return VideoMetadata(
            path=_text(a["st_path_bytes"], a["st_path_off"], s), num_frames=int(a["st_frames"][s]),
            fps=float(a["st_fps"][s]), width=int(a["st_width"][s]), height=int(a["st_height"][s]),
            duration_seconds=float(a["st_duration"][s]), codec=self._vocab["codec"][int(a["st_codec"][s])],
            rotation=int(a["st_rotation"][s]), frame_table=table, motion=motion,
            file_size=int(a["st_file_size"][s]), mtime_ns=int(a["st_mtime_ns"][s]))


def shortest_cameras(records: Sequence[VideoRecord]) -> np.ndarray:
    """int64 frames of the shortest camera of every record, vectorised for a ``RecordTable``."""
    if isinstance(records, RecordTable):
        return records.min_camera_frames()
    return np.array([min(r.camera(k).metadata.num_frames for k in range(r.num_cameras)) for r in records],
                    dtype=np.int64)


def select_records(records: Sequence[VideoRecord], keep: np.ndarray) -> Sequence[VideoRecord]:
    """The records where the boolean array ``keep`` is true: a view of a ``RecordTable``, else a list."""
    if isinstance(records, RecordTable):
        return records.where(keep)
    return [r for r, k in zip(records, keep, strict=True) if k]


def concat_tables(tables: Sequence[RecordTable]) -> RecordTable:
    """One table holding the records of ``tables`` in order (vocabularies merged; header of the first)."""
    if not tables:
        return RecordTable.from_records([])
    vocab: dict[str, list[str]] = {kind: [] for kind in ("split", "class_name", "codec")}
    parts = []
    for table in tables:
        arrays = dict(table.compacted()._a)
        for kind, column in (("split", "rec_split"), ("class_name", "rec_class"), ("codec", "st_codec")):
            names = vocab[kind]
            for name in table._vocab[kind]:
                if name not in names:
                    names.append(name)
            lookup = np.array([names.index(n) for n in table._vocab[kind]] + [-1], dtype=np.int64)
            codes = arrays[column].astype(np.int64)
            codes[codes < 0] = len(table._vocab[kind])  # -1 (none) and the split's "none" code alike
            arrays[column] = lookup[np.minimum(codes, len(table._vocab[kind]))]
        parts.append(arrays)
    merged: dict[str, np.ndarray] = {}
    for name in parts[0]:
        if name.endswith("_off"):
            bases = np.cumsum([0] + [int(p[name][-1]) for p in parts[:-1]])
            merged[name] = np.concatenate([p[name][:-1] + b for p, b in zip(parts, bases, strict=True)]
                                          + [np.array([bases[-1] + parts[-1][name][-1]])]).astype(np.int64)
        elif name == "rec_stream":
            bases = np.cumsum([0] + [len(p["st_frames"]) for p in parts[:-1]])
            merged[name] = np.concatenate([p[name] + b for p, b in zip(parts, bases, strict=True)])
        else:
            merged[name] = np.concatenate([p[name] for p in parts])
    for column, kind in (("rec_split", "split"), ("rec_class", "class_name"), ("st_codec", "codec")):
        values = merged[column]
        if kind == "split":
            values[values < 0] = len(vocab["split"])
        merged[column] = values.astype(np.int16 if column != "rec_class" else np.int32)
    merged["keyframes"] = merged["keyframes"].astype(_index_dtype([merged["keyframes"]]))
    return RecordTable(merged, vocab, header=tables[0].header)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, s + n)`` for every ``(s, n)``."""
    keep = lengths > 0
    first, count = starts[keep].astype(np.int64), lengths[keep].astype(np.int64)
    if not len(count):
        return np.zeros(0, dtype=np.int64)
    steps = np.ones(int(count.sum()), dtype=np.int64)
    steps[0] = first[0]
    steps[np.cumsum(count)[:-1]] = first[1:] - (first[:-1] + count[:-1] - 1)
    return np.cumsum(steps)


def _gather_segments(data: np.ndarray, offsets: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lengths = offsets[ids + 1] - offsets[ids]
    new_offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_offsets[1:])
    return data[_ranges(offsets[ids], lengths)], new_offsets


def _gather(a: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Compact columns holding the records at ``rows`` (their streams and variable-length parts too)."""
    rows = np.asarray(rows, dtype=np.int64)
    out = {k: np.asarray(v[rows]) for k, v in a.items()
           if k.startswith("rec_") and not k.startswith("rec_ann") and k != "rec_stream"}
    counts = np.maximum(a["rec_cameras"][rows].astype(np.int64), 1)
    streams = _ranges(a["rec_stream"][rows], counts)
    out["rec_stream"] = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64) if len(rows) else \
        np.zeros(0, dtype=np.int64)
    out["rec_ann_bytes"], out["rec_ann_off"] = _gather_segments(a["rec_ann_bytes"], a["rec_ann_off"], rows)
    for k, v in a.items():
        if k.startswith("st_") and not k.endswith("_off") and k != "st_path_bytes":
            out[k] = np.asarray(v[streams])
    out["st_path_bytes"], out["st_path_off"] = _gather_segments(a["st_path_bytes"], a["st_path_off"], streams)
    out["runs"], out["st_runs_off"] = _gather_segments(a["runs"], a["st_runs_off"], streams)
    out["keyframes"], out["st_key_off"] = _gather_segments(a["keyframes"], a["st_key_off"], streams)
    out["motion"], out["st_motion_off"] = _gather_segments(a["motion"], a["st_motion_off"], streams)
    return out


def _reopen(path: str, rows: np.ndarray | None) -> RecordTable:
    table = RecordTable.load(path)
    return table if rows is None else table.take_rows(rows)


def is_table_file(path: str | Path) -> bool:
    """Whether ``path`` starts like a columnar index file."""
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _text(data: np.ndarray, offsets: np.ndarray, i: int) -> str:
    return bytes(data[int(offsets[i]):int(offsets[i + 1])]).decode("utf-8")


def _aligned(size: int) -> int:
    return (size + _ALIGN - 1) // _ALIGN * _ALIGN


def table_builder() -> TableBuilder:
    """An empty builder: ``add`` records one by one, then ``finish`` packs them into a table."""
    return TableBuilder()


class TableBuilder:
    """Collects records into growing lists of numbers and small arrays, then packs them into a table."""

    def __init__(self, vocab: dict[str, list[str]] | None = None) -> None:
        self.vocab = {k: list(v) for k, v in (vocab or {"split": [], "class_name": [], "codec": []}).items()}
        self.codes = {k: {name: i for i, name in enumerate(v)} for k, v in self.vocab.items()}
        self.rec: dict[str, list[Any]] = {k: [] for k in (
            "rec_index", "rec_label", "rec_class", "rec_split", "rec_stream", "rec_cameras")}
        self.ann: list[bytes] = []
        self.st: dict[str, list[Any]] = {k: [] for k in (
            "st_frames", "st_fps", "st_width", "st_height", "st_duration", "st_codec", "st_rotation",
            "st_file_size", "st_mtime_ns", "st_offset", "st_has_table", "st_time_base", "st_pts_dec",
            "st_seek", "st_has_motion")}
        self.paths: list[bytes] = []
        self.runs: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []
        self.motion: list[np.ndarray] = []

    def code(self, kind: str, name: str) -> int:
        codes = self.codes[kind]
        if name not in codes:
            codes[name] = len(self.vocab[kind])
            self.vocab[kind].append(name)
        return codes[name]

    def add(self, record: VideoRecord) -> None:
        rec = self.rec
        rec["rec_index"].append(record.index)
        rec["rec_label"].append(-1 if record.label is None else record.label)
        rec["rec_class"].append(-1 if record.class_name is None
                                else self.code("class_name", record.class_name))
        rec["rec_split"].append(-1 if record.split is None else self.code("split", record.split))
        rec["rec_stream"].append(len(self.paths))
        rec["rec_cameras"].append(len(record.cameras))
        self.ann.append(json.dumps(dict(record.annotations)).encode() if record.annotations else b"")
        streams = record.cameras or (CameraStream(record.metadata, 0.0),)
        for stream in streams:
            self._add_stream(stream.metadata, stream.offset_seconds)

    @property
    def count(self) -> int:
        """Records added so far."""
        return len(self.rec["rec_index"])

    def _add_stream(self, meta: VideoMetadata, offset: float) -> None:
        st, table = self.st, meta.frame_table
        for key, value in (("st_frames", meta.num_frames), ("st_fps", meta.fps), ("st_width", meta.width),
                           ("st_height", meta.height), ("st_duration", meta.duration_seconds),
                           ("st_codec", self.code("codec", meta.codec)), ("st_rotation", meta.rotation),
                           ("st_file_size", meta.file_size), ("st_mtime_ns", meta.mtime_ns),
                           ("st_offset", offset), ("st_has_table", table is not None),
                           ("st_time_base", table.time_base if table else 1.0),
                           ("st_pts_dec", table.pts_from_decoder if table else True),
                           ("st_seek", sum(1 << i for i, n in enumerate(BACKEND_BITS)
                                           if table and n in table.seek_exact_backends)),
                           ("st_has_motion", meta.motion is not None)):
            st[key].append(value)
        self.paths.append(meta.path.encode("utf-8"))
        self.runs.append(np.array(table.pts_runs if table else (), dtype=np.int64).reshape(-1, 3))
        self.keys.append(np.array(table.keyframe_indices if table else (), dtype=np.int64))
        self.motion.append(np.array(meta.motion if meta.motion is not None else (), dtype=np.float32))

    def finish(self) -> RecordTable:
        # Split codes: -1 (no split) is stored as len(vocab) so the column stays unsigned-friendly.
        splits = np.array(self.rec["rec_split"], dtype=np.int16)
        splits[splits < 0] = len(self.vocab["split"])
        dtypes = {"rec_index": np.int64, "rec_label": np.int32, "rec_class": np.int32, "rec_stream": np.int64,
                  "rec_cameras": np.int16, "st_frames": np.int64, "st_fps": np.float64, "st_width": np.int32,
                  "st_height": np.int32, "st_duration": np.float64, "st_codec": np.int16,
                  "st_rotation": np.int16, "st_file_size": np.int64, "st_mtime_ns": np.int64,
                  "st_offset": np.float64, "st_has_table": np.bool_, "st_time_base": np.float64,
                  "st_pts_dec": np.bool_, "st_seek": np.uint8, "st_has_motion": np.bool_}
        arrays: dict[str, np.ndarray] = {k: np.array(v, dtype=dtypes[k])
                                         for k, v in {**self.rec, **self.st}.items() if k in dtypes}
        arrays["rec_split"] = splits
        arrays["rec_ann_bytes"], arrays["rec_ann_off"] = _pack_bytes(self.ann)
        arrays["st_path_bytes"], arrays["st_path_off"] = _pack_bytes(self.paths)
        arrays["runs"], arrays["st_runs_off"] = _pack(self.runs, np.int64, (0, 3))
        arrays["keyframes"], arrays["st_key_off"] = _pack(self.keys, _index_dtype(self.keys), (0,))
        arrays["motion"], arrays["st_motion_off"] = _pack(self.motion, np.float16, (0,))
        return RecordTable(arrays, self.vocab)


def _pack(parts: list[np.ndarray], dtype: Any, empty_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    data = np.concatenate(parts).astype(dtype) if parts else np.zeros(empty_shape, dtype=dtype)
    return data, offsets


def _pack_bytes(parts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    return np.frombuffer(b"".join(parts), dtype=np.uint8).copy(), offsets


def _index_dtype(parts: list[np.ndarray]) -> Any:
    largest = max((int(p.max()) for p in parts if len(p)), default=0)
    return np.int32 if largest < 2**31 else np.int64
