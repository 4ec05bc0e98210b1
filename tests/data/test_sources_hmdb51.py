"""HMDB51 reader on a tree laid out like the official download (per-class split files, trailing spaces)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from temporal_ssl.data.sources import hmdb51
from temporal_ssl.errors import DatasetError

# class -> [(video file, flag in split 1)]; 1 = train, 2 = test, 0 = unused
LAYOUT = {
    "brush_hair": [("April_09_brush_hair_u_nm_np1_ba_goo_0.avi", 1),
                   ("Blonde_hair_brush_h_nm_np1_le_goo_1.avi", 2),
                   ("Brushing_Hair_(1)_u_cm_np1_ri_med_2.avi", 0)],
    "cartwheel": [("Acrobacias_de_un_fenomeno_cartwheel_f_cm_np1_ba_bad_8.avi", 2),
                  ("Bodenturnen_2004_cartwheel_f_cm_np1_le_med_0.avi", 1)],
    "wave": [("20060723sfjffbartsinger_wave_f_cm_np1_ba_med_0.avi", 1)],
}


@pytest.fixture
def hmdb_tree(tmp_path: Path) -> dict:
    videos, splits = tmp_path / "hmdb51_org", tmp_path / "testTrainMulti_7030_splits"
    splits.mkdir()
    for name, items in LAYOUT.items():
        (videos / name).mkdir(parents=True)
        for file_name, _ in items:
            (videos / name / file_name).touch()
        # the released files end every line with a space
        (splits / f"{name}_test_split1.txt").write_text("".join(f"{f} {flag} \n" for f, flag in items))
        (splits / f"{name}_test_split2.txt").write_text("".join(f"{f} 1 \n" for f, _ in items))
    return {"root": tmp_path, "videos": videos, "splits": splits}


def test_hmdb51_reads_flags_and_alphabetical_class_ids(hmdb_tree: dict) -> None:
    listing = hmdb51(hmdb_tree["videos"], annotations=hmdb_tree["splits"], split=1)
    assert listing.classes == tuple(sorted(LAYOUT))
    expected = {(f, sorted(LAYOUT).index(c), {1: "train", 2: "test"}[flag])
                for c, items in LAYOUT.items() for f, flag in items if flag != 0}
    assert {(Path(e.path).name, e.label, e.split) for e in listing.entries} == expected
    assert listing.missing == ()


def test_hmdb51_split_two_and_default_annotation_folder(hmdb_tree: dict) -> None:
    listing = hmdb51(hmdb_tree["root"], split=2)  # finds hmdb51_org/ and the split folder itself
    assert len(listing.entries) == sum(len(v) for v in LAYOUT.values())
    assert {e.split for e in listing.entries} == {"train"}


def test_hmdb51_missing_video_is_reported(hmdb_tree: dict) -> None:
    (hmdb_tree["videos"] / "wave" / LAYOUT["wave"][0][0]).unlink()
    listing = hmdb51(hmdb_tree["videos"], annotations=hmdb_tree["splits"])
    assert len(listing.missing) == 1 and listing.missing[0].listed_in.endswith("wave_test_split1.txt:1")


def test_hmdb51_bad_flag_names_file_and_line(hmdb_tree: dict) -> None:
    path = hmdb_tree["splits"] / "wave_test_split1.txt"
    path.write_text("a.avi 1 \nb.avi 3 \n")
    with pytest.raises(DatasetError, match=re.escape(f"{path}:2: expected '<video file> <0|1|2>'")):
        hmdb51(hmdb_tree["videos"], annotations=hmdb_tree["splits"])
