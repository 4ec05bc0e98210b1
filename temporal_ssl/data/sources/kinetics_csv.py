"""Kinetics-400/600/700 from the official CSV files and the usual downloader layout.

The CSVs (``train.csv``, ``validate.csv``, ``test.csv``) have the header ``label,youtube_id,time_start,
time_end,split`` (the test CSV of some releases has no ``label`` column); labels with commas are quoted, so
the file is read with the ``csv`` module. Downloaders write
``<split>/<label>/<youtube_id>_<start:06d>_<end:06d>.mp4``; the file name is unique, so videos are found by
name anywhere under the root (label folders written with underscores instead of spaces, or other extensions,
also match). Many YouTube videos can no longer be downloaded: those rows are reported as missing and the rest
load. Class ids follow the alphabetical order of the labels found in the CSVs read (the ``label_map``
convention of mmaction2).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from temporal_ssl.data.quarantine import MissingVideo
from temporal_ssl.data.sources.listing import FileLookup, SourceListing, VideoEntry, check_root
from temporal_ssl.errors import DatasetError
from temporal_ssl.registry import DATASETS

_REQUIRED_COLUMNS = ("youtube_id", "time_start", "time_end", "split")
_SPLIT_NAMES = {"train": "train", "training": "train", "val": "val", "validate": "val", "validation": "val",
                "test": "test", "testing": "test"}
_ANNOTATION_CANDIDATES = ("annotations", ".", "..")


@DATASETS.register("kinetics")
def kinetics(root: str | Path, *, annotations: str | Path | None = None,
             split: str | None = None) -> SourceListing:
    """List the Kinetics videos of the official CSV(s) that are present under ``root``.

    Args:
        root: the download folder (``<split>/<label>/<id>_<start>_<end>.mp4`` below it).
        annotations: one CSV file, or a folder of them (``train.csv``, ``validate.csv``, ``test.csv``);
            searched in ``root/annotations``, ``root`` and its parent when ``None``.
        split: keep only rows of this split (``train``, ``val``, ``test``); ``None`` keeps all.
    """
    if split is not None and split not in _SPLIT_NAMES:
        raise DatasetError(f"kinetics split {split!r} is unknown; use train, val or test "
                           "(or leave --split out)")
    wanted = None if split is None else _SPLIT_NAMES[split]
    root_path = check_root(root, "kinetics")
    rows = [row for csv_path in _find_csvs(root_path, annotations) for row in _read_csv(csv_path)]
    classes = tuple(sorted({row["label"] for row in rows if row["label"]}))
    label_of = {name: i for i, name in enumerate(classes)}
    lookup = FileLookup(root_path)
    entries: list[VideoEntry] = []
    missing: list[MissingVideo] = []
    for row in rows:
        if wanted is not None and row["split"] != wanted:
            continue
        name = f"{row['youtube_id']}_{row['time_start']:06d}_{row['time_end']:06d}.mp4"
        folder = root_path / row["split_folder"]
        if row["label"]:
            folder = folder / row["label"]
        path = lookup.by_name(name, preferred_folder=folder, ignore_case=False)
        if path is None:
            missing.append(MissingVideo(str(folder / name), row["where"]))
            continue
        label = label_of[row["label"]] if row["label"] else None
        entries.append(VideoEntry(str(path), label, row["label"] or None, row["split"]))
    return SourceListing("kinetics", str(root_path), tuple(entries), classes, tuple(missing))


def _find_csvs(root: Path, annotations: str | Path | None) -> list[Path]:
    """The CSV file(s) to read: the given file, the CSVs of the given folder, or those found near ``root``."""
    if annotations is not None:
        path = Path(annotations)
        if path.is_file():
            return [path]
        if path.is_dir() and sorted(path.glob("*.csv")):
            return sorted(path.glob("*.csv"))
        raise DatasetError(f"Kinetics annotations '{path}' is neither a CSV file nor a folder holding CSV "
                           "files; pass the official train.csv / validate.csv (or their folder) with "
                           "--annotations")
    for candidate in _ANNOTATION_CANDIDATES:
        found = sorted((root / candidate).resolve().glob("*.csv"))
        if found:
            return found
    raise DatasetError(f"no Kinetics CSV found in '{root}/annotations', '{root}' or its parent; pass the "
                       "official CSV file (or its folder) with --annotations")


def _read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of one official CSV: ``label`` ('' for test rows), int times, the normalised split."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        raise DatasetError(f"cannot read Kinetics CSV '{path}': {error}") from None
    with handle:
        reader = csv.DictReader(handle)
        columns = [c.strip() for c in reader.fieldnames or []]
        absent = [c for c in _REQUIRED_COLUMNS if c not in columns]
        if absent:
            raise DatasetError(f"Kinetics CSV '{path}' lacks column(s) {', '.join(absent)}; expected the "
                               "header 'label,youtube_id,time_start,time_end,split', "
                               f"got {','.join(columns)!r}")
        reader.fieldnames = columns
        rows = []
        for number, raw in enumerate(reader, start=2):
            where = f"{path}:{number}"
            split_value = (raw.get("split") or "").strip()
            if split_value.lower() not in _SPLIT_NAMES:
                raise DatasetError(f"{where}: split {split_value!r} is not train, val(idate) or test")
            try:
                start, end = int(float(raw["time_start"])), int(float(raw["time_end"]))
            except (TypeError, ValueError):
                raise DatasetError(f"{where}: time_start/time_end must be numbers, got "
                                   f"{raw.get('time_start')!r}, {raw.get('time_end')!r}") from None
            rows.append({"label": (raw.get("label") or "").strip(),
                         "youtube_id": (raw["youtube_id"] or "").strip(),
                         "time_start": start, "time_end": end, "split": _SPLIT_NAMES[split_value.lower()],
                         "split_folder": split_value, "where": where})
    return rows
