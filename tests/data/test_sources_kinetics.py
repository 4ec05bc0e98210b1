"""Kinetics reader on the official CSV (quoted labels) and the downloader layout, with failed downloads."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from temporal_ssl.data.sources import kinetics
from temporal_ssl.errors import DatasetError

ROWS = [  # label, youtube_id, start, end, split, downloaded
    ("abseiling", "--07WQ2iBlw", 1, 11, "train", True),
    ("petting animal (not cat)", "-0CRl3nFy-c", 24, 34, "train", True),
    ("cooking sausages, grilled", "A_b-C_d1234", 0, 10, "train", False),  # a label with a comma
    ("abseiling", "zzzzzzzzzz1", 300, 310, "val", True),
    ("petting animal (not cat)", "Ab-cd_EF123", 5, 15, "val", False),
]


def _csv_text(rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["label", "youtube_id", "time_start", "time_end", "split"])
    for label, video_id, start, end, split, _ in rows:
        writer.writerow([label, video_id, start, end, split])
    return buffer.getvalue()


@pytest.fixture
def kinetics_tree(tmp_path: Path) -> dict:
    root = tmp_path / "kinetics400"
    (root / "annotations").mkdir(parents=True)
    (root / "annotations" / "train.csv").write_text(_csv_text([r for r in ROWS if r[4] == "train"]))
    (root / "annotations" / "validate.csv").write_text(_csv_text([r for r in ROWS if r[4] == "val"]))
    for label, video_id, start, end, split, downloaded in ROWS:
        if downloaded:
            folder = root / split / label
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{video_id}_{start:06d}_{end:06d}.mp4").touch()
    return {"root": root}


def test_kinetics_csv_quoted_labels_and_missing_downloads(kinetics_tree: dict) -> None:
    assert '"cooking sausages, grilled"' in (kinetics_tree["root"] / "annotations" / "train.csv").read_text()
    listing = kinetics(kinetics_tree["root"])
    classes = sorted({r[0] for r in ROWS})
    assert listing.classes == tuple(classes)
    expected = {(f"{v}_{s:06d}_{e:06d}.mp4", classes.index(lab), split) for lab, v, s, e, split,
                ok in ROWS if ok}
    assert {(Path(x.path).name, x.label, x.split) for x in listing.entries} == expected
    missing = {Path(m.path).name for m in listing.missing}
    assert missing == {f"{v}_{s:06d}_{e:06d}.mp4" for _, v, s, e, _, ok in ROWS if not ok}
    assert all(re.search(r"(train|validate)\.csv:\d+$", m.listed_in) for m in listing.missing)


def test_kinetics_split_filter_and_single_csv(kinetics_tree: dict) -> None:
    root = kinetics_tree["root"]
    listing = kinetics(root, annotations=root / "annotations" / "validate.csv", split="val")
    assert [Path(e.path).name for e in listing.entries] == ["zzzzzzzzzz1_000300_000310.mp4"]
    assert len(listing.missing) == 1


def test_kinetics_youtube_ids_are_case_sensitive(kinetics_tree: dict) -> None:
    # a file whose id differs only in case is another video: the row stays missing
    root = kinetics_tree["root"]
    (root / "val" / "petting animal (not cat)").mkdir(parents=True)
    (root / "val" / "petting animal (not cat)" / "ab-cd_ef123_000005_000015.mp4").touch()
    listing = kinetics(root, split="val")
    assert [Path(m.path).name for m in listing.missing] == ["Ab-cd_EF123_000005_000015.mp4"]


def test_kinetics_label_folders_with_underscores_are_found(kinetics_tree: dict) -> None:
    root = kinetics_tree["root"]
    (root / "train" / "petting animal (not cat)").rename(root / "train" / "petting_animal_(not_cat)")
    listing = kinetics(root, split="train")
    assert len(listing.entries) == 2


def test_kinetics_wrong_header_is_an_error(kinetics_tree: dict) -> None:
    path = kinetics_tree["root"] / "annotations" / "train.csv"
    path.write_text("label,id,start,end\nx,y,1,2\n")
    with pytest.raises(DatasetError, match=re.escape(f"Kinetics CSV '{path}' lacks column(s) youtube_id")):
        kinetics(kinetics_tree["root"])
