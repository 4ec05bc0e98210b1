"""UCF101 reader on a tree laid out like the official download, quirks included."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from temporal_ssl.data.sources import ucf101
from temporal_ssl.errors import DatasetError

CLASSES = ["ApplyEyeMakeup", "HandstandPushups", "YoYo"]  # classInd spelling
FOLDERS = {"ApplyEyeMakeup": "ApplyEyeMakeup", "HandstandPushups": "HandStandPushups", "YoYo": "YoYo"}


def _write_crlf(path: Path, lines: list[str]) -> None:
    path.write_bytes("".join(line + "\r\n" for line in lines).encode())


@pytest.fixture
def ucf_tree(tmp_path: Path) -> dict:
    """UCF-101/<Folder>/v_<Folder>_gGG_cCC.avi + ucfTrainTestlist with CRLF and the HandstandPushups case
    quirk."""
    videos = tmp_path / "UCF-101"
    train, test = [], []
    for class_id, name in enumerate(CLASSES, start=1):
        folder = FOLDERS[name]
        (videos / folder).mkdir(parents=True)
        for group in (1, 8):
            file_name = f"v_{folder}_g{group:02d}_c01.avi"
            (videos / folder / file_name).touch()
            # The official lists spell the folder as classInd does and the file as the disk does.
            if group == 8:
                train.append((f"{name}/{file_name}", class_id))
            else:
                test.append(f"{name}/{file_name}")
    splits = tmp_path / "ucfTrainTestlist"
    splits.mkdir()
    _write_crlf(splits / "classInd.txt", [f"{i} {name}" for i, name in enumerate(CLASSES, start=1)])
    _write_crlf(splits / "trainlist01.txt", [f"{rel} {cid}" for rel, cid in train])
    _write_crlf(splits / "testlist01.txt", test)
    return {"root": tmp_path, "videos": videos, "splits": splits, "train": train, "test": test}


def test_ucf101_reads_official_layout_with_crlf_and_case_quirk(ucf_tree: dict) -> None:
    listing = ucf101(ucf_tree["videos"], annotations=ucf_tree["splits"], split=1)
    assert listing.classes == tuple(CLASSES)
    assert listing.missing == ()
    by_split: dict[str, list] = {"train": [], "test": []}
    for entry in listing.entries:
        by_split[entry.split].append(entry)
        folder = Path(entry.path).parent.name
        # the label is the classInd id (1-based in the file, 0-based here) of the video's folder
        assert CLASSES[entry.label].lower() == folder.lower()
        assert entry.class_name == CLASSES[entry.label]
        assert Path(entry.path).is_file()
    assert len(by_split["train"]) == len(ucf_tree["train"]) and len(by_split["test"]) == len(ucf_tree["test"])
    expected_train = {rel.split("/")[1]: cid - 1 for rel, cid in ucf_tree["train"]}
    assert {Path(e.path).name: e.label for e in by_split["train"]} == expected_train


def test_ucf101_finds_split_files_beside_root_and_videos_folder(ucf_tree: dict) -> None:
    # root = the download folder holding UCF-101/ and ucfTrainTestlist/: both are found without --annotations
    listing = ucf101(ucf_tree["root"], split=1)
    assert len(listing.entries) == len(ucf_tree["train"]) + len(ucf_tree["test"])


def test_ucf101_records_sidecar_boxes(ucf_tree: dict) -> None:
    boxes = ucf_tree["videos"] / "YoYo" / "v_YoYo_g08_c01.boxes.json"
    boxes.write_text("{}")
    listing = ucf101(ucf_tree["videos"], annotations=ucf_tree["splits"])
    with_boxes = {Path(e.path).name: e.annotations.get("boxes") for e in listing.entries if e.annotations}
    assert with_boxes == {"v_YoYo_g08_c01.avi": str(boxes)}


def test_ucf101_reports_missing_videos_and_loads_the_rest(ucf_tree: dict) -> None:
    gone = ucf_tree["videos"] / "YoYo" / "v_YoYo_g01_c01.avi"
    gone.unlink()
    listing = ucf101(ucf_tree["videos"], annotations=ucf_tree["splits"])
    assert [Path(m.path).name for m in listing.missing] == [gone.name]
    assert listing.missing[0].listed_in.endswith("testlist01.txt:3")
    assert len(listing.entries) == len(ucf_tree["train"]) + len(ucf_tree["test"]) - 1


def test_ucf101_matches_reencoded_extension(ucf_tree: dict) -> None:
    path = ucf_tree["videos"] / "YoYo" / "v_YoYo_g08_c01.avi"
    path.rename(path.with_suffix(".mp4"))
    listing = ucf101(ucf_tree["videos"], annotations=ucf_tree["splits"])
    assert str(path.with_suffix(".mp4")) in {e.path for e in listing.entries}


def test_ucf101_label_naming_no_class_is_an_error_with_file_and_line(ucf_tree: dict) -> None:
    _write_crlf(ucf_tree["splits"] / "trainlist01.txt", ["YoYo/v_YoYo_g08_c01.avi 3",
                                                         "YoYo/v_YoYo_g08_c01.avi 7"])
    path = ucf_tree["splits"] / "trainlist01.txt"
    with pytest.raises(DatasetError,
                       match=re.escape(f"{path}:2: class id '7' is not in 1..3 of classInd.txt")):
        ucf101(ucf_tree["videos"], annotations=ucf_tree["splits"])


def test_ucf101_label_disagreeing_with_folder_is_an_error(ucf_tree: dict) -> None:
    _write_crlf(ucf_tree["splits"] / "trainlist01.txt", ["YoYo/v_YoYo_g08_c01.avi 1"])
    with pytest.raises(DatasetError,
                       match="class id 1 is 'ApplyEyeMakeup' but the video lies in folder 'YoYo'"):
        ucf101(ucf_tree["videos"], annotations=ucf_tree["splits"])


def test_ucf101_missing_split_file_names_it(ucf_tree: dict) -> None:
    with pytest.raises(DatasetError, match=re.escape(str(ucf_tree["splits"] / "trainlist02.txt"))):
        ucf101(ucf_tree["videos"], annotations=ucf_tree["splits"], split=2)
    with pytest.raises(DatasetError, match="UCF101 has splits 1, 2 and 3"):
        ucf101(ucf_tree["videos"], annotations=ucf_tree["splits"], split=4)


def test_ucf101_without_split_folder_says_where_it_looked(tmp_path: Path) -> None:
    (tmp_path / "videos").mkdir()
    with pytest.raises(DatasetError, match="no ucf101 split files .classInd.txt. found under"):
        ucf101(tmp_path / "videos")
