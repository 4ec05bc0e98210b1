"""``VideoIndex``: the probed corpus, one ``VideoRecord`` per video or scene, with what could not be used.

An index is built once per corpus (``build_index``) and saved with the full probed metadata, so readers never
rescan a file. The saved form is a columnar file (``RecordTable``) that loads in milliseconds and is shared by
every process mapping it; a path ending in ``.jsonl`` writes JSON lines instead (one object per video with
``path``, ``label``, ``class_name``, ``split``, ``num_frames``, ``fps``, ``width``, ``height`` and the
metadata), for people and other tools; both load. Filters return new indexes (views of the same columns) and
record what they removed and why. ``record.index`` is the id of a record in the full index and stays the same
in filtered views, so ``view[i].index`` need not equal ``i``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from temporal_ssl.atomic_write import atomic_open
from temporal_ssl.data.quarantine import DroppedVideo, MissingVideo, QuarantinedVideo, summarize_reasons
from temporal_ssl.data.record_table import RecordTable, is_table_file
from temporal_ssl.errors import DatasetError
from temporal_ssl.types import CameraStream, VideoMetadata, VideoRecord


@dataclass(frozen=True)
class VideoIndex:
    """The records of a corpus plus everything that was left out, each with its reason.

    Args:
        records: the usable videos (or scenes); any sequence is stored as a ``RecordTable``.
        classes: class names in label order; empty for an unlabeled corpus.
        quarantined: files that exist but could not be decoded.
        missing: videos the annotations list that are not on disk.
        dropped: usable videos removed by a filter of this index.
        format: the format the corpus was read with (``ucf101`` ...), when known.
        root: the corpus root, when known.
        shard: ``(i, n)`` when this is part ``i`` of a corpus indexed in ``n`` shards (see ``merge_indexes``).
    """

    records: RecordTable
    classes: tuple[str, ...] = ()
    quarantined: tuple[QuarantinedVideo, ...] = ()
    missing: tuple[MissingVideo, ...] = ()
    dropped: tuple[DroppedVideo, ...] = ()
    format: str | None = None
    root: str | None = None
    shard: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.records, RecordTable):
            object.__setattr__(self, "records", RecordTable.from_records(tuple(self.records)))

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, position: int) -> VideoRecord:
        return self.records[position]

    def __iter__(self) -> Iterator[VideoRecord]:
        return iter(self.records)

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def splits(self) -> tuple[str, ...]:
        """The split names present, sorted (``()`` when no record has a split)."""
        return tuple(sorted({s for s in self.records.splits() if s is not None}))

    def split_counts(self) -> dict[str | None, int]:
        """Number of records per split (``None`` for records without one)."""
        return dict(sorted(Counter(self.records.splits()).items(), key=lambda kv: str(kv[0])))

    def class_counts(self) -> dict[str, int]:
        """Number of records per class name, in label order (classes with no record count 0)."""
        labels = self.records.labels()
        counts = np.bincount(labels[labels >= 0], minlength=len(self.classes))
        return {name: int(counts[label]) for label, name in enumerate(self.classes)}

    def filter(self, keep: Callable[[VideoRecord], bool], reason: Callable[[VideoRecord], str]) -> VideoIndex:
        """A view with the records ``keep`` accepts; the others go to ``dropped`` with ``reason``."""
        return self._keep(np.array([keep(r) for r in self.records], dtype=bool), reason)

    def select_split(self, split: str) -> VideoIndex:
        """The records of one split (``train``, ``val``, ``test``); other splits do not count as dropped."""
        if split not in self.splits:
            raise DatasetError(f"split '{split}' is not in this index (of '{self.root}'); it has "
                               f"{', '.join(self.splits) or 'no splits'}")
        return replace(self, records=self.records.where(self.records.splits() == split))

    def labeled(self) -> VideoIndex:
        """The records with a class label; unlabeled ones are counted as dropped."""
        return self._keep(self.records.labels() >= 0, lambda r: "no label")

    def filter_min_frames(self, min_num_frames: int) -> VideoIndex:
        """Drop videos with fewer than ``min_num_frames`` frames (every camera of a scene must have them)."""
        frames = self.records.min_camera_frames()

        def reason(record: VideoRecord) -> str:
            shortest = min(record.camera(k).metadata.num_frames for k in range(record.num_cameras))
            return f"{shortest} frames < min_num_frames {min_num_frames}"

        return self._keep(frames >= min_num_frames, reason)

    def _keep(self, keep: np.ndarray, reason: Callable[[VideoRecord], str]) -> VideoIndex:
        """A view with the records where ``keep`` is true; the others go to ``dropped`` with ``reason``."""
        removed = tuple(DroppedVideo(r.path, reason(r)) for r in self.records.where(~keep))
        return replace(self, records=self.records.where(keep), dropped=self.dropped + removed)

    def summary(self, *, max_classes: int | None = None) -> str:
        """A human-readable report: counts per split and class, quarantined, missing and dropped videos."""
        lines = [f"{len(self)} videos" + (f" of format '{self.format}'" if self.format else "")
                 + (f" under '{self.root}'" if self.root else "")]
        lines += [f"  split {split}: {count}"
                  for split, count in self.split_counts().items() if split is not None]
        if self.classes:
            counts = list(self.class_counts().items())
            shown = counts if max_classes is None else counts[:max_classes]
            lines.append(f"  {self.num_classes} classes:")
            lines += [f"    {label:4d} {name}: {count}" for label, (name, count) in enumerate(shown)]
            if len(shown) < len(counts):
                lines.append(f"    ... {len(counts) - len(shown)} more classes")
        lines.append(f"  quarantined (cannot be decoded): {len(self.quarantined)}")
        causes = summarize_reasons([q.reason for q in self.quarantined])
        lines += [f"    {count} x {cause}" for cause, count in causes]
        lines.append(f"  missing (listed but not on disk): {len(self.missing)}")
        lines += [f"    {m.path} (listed in {m.listed_in})" for m in self.missing[:5]]
        if len(self.missing) > 5:
            lines.append(f"    ... {len(self.missing) - 5} more")
        if self.dropped:
            lines.append(f"  dropped by filters: {len(self.dropped)}")
            reasons = Counter(d.reason for d in self.dropped).most_common(5)
            lines += [f"    {count} x {reason}" for reason, count in reasons]
        return "\n".join(lines)

    def save(self, path: str | Path) -> Path:
        """Write the records to ``path``: columnar, or JSON lines when it ends in ``.jsonl`` (for people).

        The class list also goes to ``<stem>.classes.txt``, one name per line.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".jsonl":
            with atomic_open(path) as handle:
                for record in self.records:
                    handle.write(json.dumps(record_to_dict(record), separators=(",", ":")) + "\n")
        else:
            self.records.save(path, {
                "classes": list(self.classes), "format": self.format, "root": self.root,
                "shard": None if self.shard is None else list(self.shard),
                "quarantined": [[q.path, q.reason] for q in self.quarantined],
                "missing": [[m.path, m.listed_in] for m in self.missing]})
        classes_path = classes_file(path)
        if self.classes:
            classes_path.write_text("".join(name + "\n" for name in self.classes), encoding="utf-8")
        elif classes_path.exists():
            classes_path.unlink()
        return path

    @classmethod
    def load(cls, path: str | Path) -> VideoIndex:
        """Read an index written by :meth:`save`, columnar or JSON lines (classes from the file itself, or
        from ``<stem>.classes.txt`` or the records of a JSON-lines index)."""
        records = load_index(path)
        header = records.header
        classes_path = classes_file(Path(path))
        if "classes" in header:
            classes = tuple(header["classes"])
        elif classes_path.is_file():
            classes = tuple(classes_path.read_text(encoding="utf-8").splitlines())
        else:
            classes = _classes_from_records(records, Path(path))
        labels = records.labels()
        bad = np.flatnonzero((labels >= len(classes)) | (labels < -1))
        if len(bad):
            record = records[int(bad[0])]
            raise DatasetError(f"'{path}': '{record.path}' has label {record.label} but the index lists "
                               f"{len(classes)} classes; rebuild the index")
        shard = header.get("shard")
        return cls(records, classes, tuple(QuarantinedVideo(*q) for q in header.get("quarantined", ())),
                   tuple(MissingVideo(*m) for m in header.get("missing", ())), format=header.get("format"),
                   root=header.get("root"), shard=None if shard is None else (int(shard[0]), int(shard[1])))


def classes_file(index_path: Path) -> Path:
    """Where the class list of an index file lives: ``index.jsonl`` → ``index.classes.txt``."""
    return index_path.with_suffix(".classes.txt")


def record_to_dict(record: VideoRecord) -> dict[str, Any]:
    """The JSON form of a record: the headline fields first, then the full metadata."""
    meta = record.metadata
    data: dict[str, Any] = {
        "index": record.index, "path": record.path, "label": record.label, "class_name": record.class_name,
        "split": record.split, "num_frames": meta.num_frames, "fps": meta.fps, "width": meta.width,
        "height": meta.height, "duration_seconds": meta.duration_seconds, "metadata": meta.to_dict(),
    }
    if record.cameras:
        data["cameras"] = [{"offset_seconds": c.offset_seconds, "metadata": c.metadata.to_dict()}
                           for c in record.cameras]
    if record.annotations:
        data["annotations"] = dict(record.annotations)
    return data


def record_from_dict(data: dict[str, Any]) -> VideoRecord:
    """Rebuild a record written by :func:`record_to_dict`."""
    metadata = VideoMetadata.from_dict(data["metadata"])
    cameras = tuple(CameraStream(VideoMetadata.from_dict(c["metadata"]), float(c["offset_seconds"]))
                    for c in data.get("cameras", ()))
    return VideoRecord(index=int(data["index"]), metadata=metadata, label=data.get("label"),
                       class_name=data.get("class_name"), split=data.get("split"), cameras=cameras,
                       annotations=data.get("annotations") or {})


def load_index(path: str | Path) -> RecordTable:
    """The records of an index file written by ``VideoIndex.save`` / ``build_index``: a columnar file is
    mapped (near-instant), a JSON-lines one is parsed into a table in memory."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"index file '{path}' does not exist; build it with "
                           f"tssl build-index --out {path}")
    if is_table_file(path):
        return RecordTable.load(path)
    records = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                records.append(record_from_dict(json.loads(line)))
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise DatasetError(f"{path}:{number}: not a video record ({error!r}); rebuild the index with "
                                   "tssl build-index") from None
    return RecordTable.from_records(records)


def _classes_from_records(records: Sequence[VideoRecord], path: Path) -> tuple[str, ...]:
    names: dict[int, str] = {}
    for record in records:
        if record.label is not None:
            names.setdefault(record.label, record.class_name or str(record.label))
    if names and sorted(names) != list(range(len(names))):
        raise DatasetError(f"'{path}' has labels {sorted(names)[:8]}... with gaps and no class list "
                           f"'{classes_file(path)}'; rebuild the index with tssl build-index")
    return tuple(names[i] for i in range(len(names)))
