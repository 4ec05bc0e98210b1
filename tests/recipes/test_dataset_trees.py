"""The tiny real-format trees read as the real datasets do: every usable video found, every surprise reported.

These trees are what the recipe smoke runs read; here each reader's view of them is checked directly (fast,
no training): case-mismatched UCF101 folders, HMDB51's 0/1/2 flags and non-ASCII names, missing Kinetics
downloads, WebM/MKV/variable-frame-rate/rotated files, SSv2's WebM, multi-camera scenes, unlabelled folders,
an empty file and a video shorter than a clip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_ssl.data.index import VideoIndex
from temporal_ssl.pipeline.records import DataConfig, load_index_for
from tests.helpers.dataset_trees import (
    SHARED_VIDEOS,
    Tree,
    kinetics_tree,
    ssv2_tree,
    ucf101_tree,
    unlabeled_tree,
)


def index_of(tree: Tree) -> VideoIndex:
    entry = tree.catalog_entry()
    return load_index_for(DataConfig(**entry, split=None, workers=1), progress=False)  # type: ignore[arg-type]


def paths(index: VideoIndex, split: str | None = None) -> set[str]:
    return {r.path for r in index.records if split is None or r.split == split}


def test_ucf101_case_mismatch_empty_missing_and_short_videos(dataset_trees: dict[str, Tree]) -> None:
    tree = dataset_trees["ucf101"]
    index = index_of(tree)
    for split in ("train", "test"):
        assert paths(index, split) == {str(p) for p in tree.usable[split]}
    handstand = [r for r in index.records if "HandStand" in r.path]
    assert handstand and {r.class_name for r in handstand} == {"HandstandPushups"}  # as classInd spells it
    assert [Path(q.path).name for q in index.quarantined] == [p.name for p in tree.quarantined]
    assert "empty" in index.quarantined[0].reason
    assert [Path(m.path).name for m in index.missing] == tree.missing
    short = next(r for r in index.records if r.path == str(tree.short[0]))
    assert short.num_frames == 10  # kept and counted: a pretext decides what a short video gives


def test_hmdb51_flags_and_non_ascii_names(dataset_trees: dict[str, Tree]) -> None:
    tree = dataset_trees["hmdb51"]
    index = index_of(tree)
    assert paths(index, "train") == {str(p) for p in tree.usable["train"]}
    assert paths(index, "test") == {str(p) for p in tree.usable["test"]}
    assert not any("unused" in p for p in paths(index))  # flag 0: not in split 1, and not reported as lost
    assert not index.quarantined and not index.missing
    assert any(Path(p).name.startswith("Über_") for p in paths(index, "train"))
    assert index.classes == ("brush_hair", "wave")


def test_kinetics_missing_downloads_and_odd_containers(dataset_trees: dict[str, Tree]) -> None:
    tree = dataset_trees["kinetics400"]
    index = index_of(tree)
    assert paths(index, "train") == {str(p) for p in tree.usable["train"]}
    assert paths(index, "val") == {str(p) for p in tree.usable["val"]}
    assert sorted(Path(m.path).name.split("_")[0] for m in index.missing) == sorted(tree.missing)
    by_suffix = {Path(r.path).suffix for r in index.records}
    assert {".webm", ".mkv", ".mp4"} <= by_suffix
    assert any(r.metadata.rotation == 90 for r in index.records)
    assert all(r.num_frames == 100 for r in index.records)  # variable frame rate included
    assert {r.class_name for r in index.records} == {"abseiling", "playing guitar"}


def test_ssv2_multicamera_and_unlabelled_folders(dataset_trees: dict[str, Tree], tmp_path: Path) -> None:
    ssv2 = ssv2_tree(tmp_path / "ssv2", per_split=1)
    index = index_of(ssv2)
    assert paths(index) == {str(p) for p in ssv2.usable["train"] + ssv2.usable["val"]}
    assert {r.metadata.codec for r in index.records} == {"vp9"}
    scenes = index_of(dataset_trees["multicamera"])
    assert len(scenes.records) == 2 and all(r.num_cameras == 2 for r in scenes.records)
    offsets = {round(c.offset_seconds, 2) for r in scenes.records for c in r.cameras}
    assert offsets == {0.0, 0.04}
    unlabeled = dataset_trees["unlabeled_videos"]
    assert paths(index_of(unlabeled)) == {str(p) for p in unlabeled.usable["all"]}


@pytest.mark.skipif(not SHARED_VIDEOS.is_dir(), reason=f"real sample videos not present at {SHARED_VIDEOS}")
def test_real_sample_videos_under_official_names(tmp_path: Path) -> None:
    trees = [ucf101_tree(tmp_path / "ucf", per_split=1, real_videos=True),
             kinetics_tree(tmp_path / "k400", per_split=1, real_videos=True),
             unlabeled_tree(tmp_path / "yt", count=1, real_videos=True)]
    for tree in trees:
        index = index_of(tree)
        assert paths(index) == {str(p) for split in tree.usable.values() for p in split}
        assert any(Path(p).is_symlink() for p in paths(index))
