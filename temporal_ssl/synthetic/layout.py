"""Where a synthetic corpus puts its files, and the UCF101-style split files.

Layout under the corpus root::

    corpus.json                                   generator options, seed, counts (reuse check)
    ucf/videos/<Class>/v_<Class>_g<GG>_c<CC>.mp4  labelled clips, exactly UCF101's naming
    ucf/videos/<Class>/v_<Class>_g<GG>_c<CC>.boxes.json
    ucf/splits/classInd.txt                       "1 MoveLeft" ... (1-based)
    ucf/splits/trainlist01.txt                    "MoveLeft/v_MoveLeft_g08_c01.mp4 1"
    ucf/splits/testlist01.txt                     "MoveLeft/v_MoveLeft_g01_c01.mp4"
    pretrain/scene_000000/cam0.mp4 ... cam<K-1>.mp4   unlabelled synchronised cameras of one scene
    pretrain/scene_000000/sync.json               {"offsets_seconds": {"cam0": 0.0, ...}}
    pretrain/scene_000000/boxes.json              ground truth, see ``boxes``

As in UCF101's first split, the test groups come first (``g01`` ...), then the training groups; clips of one
group share their background, objects and camera, so the split never puts one look on both sides. Group and
clip numbers have two digits, or more when a class has more than 99 groups or a group more than 99 clips.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from temporal_ssl.atomic_write import write_text_atomic

MANIFEST_NAME = "corpus.json"
SYNC_NAME = "sync.json"
SCENE_BOXES_NAME = "boxes.json"


@dataclass(frozen=True)
class LabeledClip:
    """One labelled video: its class, group and clip numbers (1-based, as in the file name) and split."""

    class_index: int
    class_name: str
    group: int
    clip: int
    split: str

    def relative_path(self, extension: str, group_digits: int = 2, clip_digits: int = 2) -> str:
        """``<Class>/v_<Class>_g<GG>_c<CC><extension>``, relative to ``ucf/videos``."""
        name = f"v_{self.class_name}_g{self.group:0{group_digits}d}_c{self.clip:0{clip_digits}d}{extension}"
        return f"{self.class_name}/{name}"


def labeled_clips(
    class_names: Sequence[str], *, num_train_per_class: int, num_test_per_class: int, clips_per_group: int
) -> list[LabeledClip]:
    """Every labelled clip of the corpus: per class, test groups first, then training groups."""
    clips = []
    for class_index, name in enumerate(class_names):
        group = 0
        for split, count in (("test", num_test_per_class), ("train", num_train_per_class)):
            for start in range(0, count, clips_per_group):
                group += 1
                for clip in range(1, min(clips_per_group, count - start) + 1):
                    clips.append(LabeledClip(class_index, name, group, clip, split))
    return clips


def number_digits(clips: Sequence[LabeledClip]) -> tuple[int, int]:
    """Digits for group and clip numbers: 2 like UCF101, more only when the numbers need them."""
    groups = max((c.group for c in clips), default=1)
    numbers = max((c.clip for c in clips), default=1)
    return max(2, len(str(groups))), max(2, len(str(numbers)))


def scene_name(index: int, num_scenes: int) -> str:
    """``scene_000042``: six digits, or more for a larger pool."""
    return f"scene_{index:0{max(6, len(str(max(num_scenes - 1, 0))))}d}"


def write_split_files(
    splits_dir: Path, class_names: Sequence[str], clips: Sequence[LabeledClip], extension: str
) -> tuple[Path, Path, Path]:
    """Write ``classInd.txt``, ``trainlist01.txt`` and ``testlist01.txt`` exactly in UCF101's format."""
    splits_dir.mkdir(parents=True, exist_ok=True)
    digits = number_digits(clips)
    class_lines = [f"{i + 1} {name}" for i, name in enumerate(class_names)]
    train_lines = [f"{c.relative_path(extension, *digits)} {c.class_index + 1}"
                   for c in clips if c.split == "train"]
    test_lines = [c.relative_path(extension, *digits) for c in clips if c.split == "test"]
    paths = []
    for name, lines in (("classInd.txt", class_lines), ("trainlist01.txt", train_lines),
                        ("testlist01.txt", test_lines)):
        paths.append(write_text_atomic(splits_dir / name, "".join(line + "\n" for line in lines)))
    return paths[0], paths[1], paths[2]


def write_sync(path: Path, offsets_seconds: Sequence[float]) -> Path:
    """``sync.json``: each camera's start time in scene seconds."""
    offsets = {f"cam{k}": round(float(v), 6) for k, v in enumerate(offsets_seconds)}
    return write_text_atomic(path, json.dumps({"offsets_seconds": offsets}))


@dataclass(frozen=True)
class CorpusPaths:
    """Where a generated corpus lives and what it holds.

    Args:
        root: the corpus root; ``manifest`` is ``root/corpus.json``.
        ucf_root: the folder a UCF101 reader takes (``videos`` and ``splits`` inside).
        videos, splits: ``ucf_root/videos`` and ``ucf_root/splits``.
        class_index, train_list, test_list: the three split files.
        pretrain: one sub-folder per unlabelled scene.
        class_names: in class-index order (index 0 is line ``1`` of ``classInd.txt``).
        extension: the video file extension (``.mp4`` or ``.avi``).
        reused: ``True`` when an identical corpus was already there and nothing was generated.
    """

    root: Path
    manifest: Path
    ucf_root: Path
    videos: Path
    splits: Path
    class_index: Path
    train_list: Path
    test_list: Path
    pretrain: Path
    class_names: tuple[str, ...]
    num_train_videos: int
    num_test_videos: int
    num_pretrain_scenes: int
    num_cameras: int
    extension: str
    reused: bool = False

    def pretrain_scenes(self) -> list[Path]:
        """Every scene folder, in scene order."""
        count = self.num_pretrain_scenes
        return [self.pretrain / scene_name(i, count) for i in range(count)]

    def pretrain_videos(self, camera: int = 0) -> list[Path]:
        """Camera ``camera``'s video of every scene, in scene order."""
        if not 0 <= camera < self.num_cameras:
            raise ValueError(
                f"camera {camera} does not exist: the corpus has cameras 0..{self.num_cameras - 1}")
        return [scene / f"cam{camera}{self.extension}" for scene in self.pretrain_scenes()]


def corpus_paths(
    root: Path, *, class_names: Sequence[str], num_train_videos: int, num_test_videos: int,
    num_pretrain_scenes: int, num_cameras: int, extension: str, reused: bool,
) -> CorpusPaths:
    """The :class:`CorpusPaths` of a corpus rooted at ``root``."""
    ucf_root = root / "ucf"
    splits = ucf_root / "splits"
    return CorpusPaths(
        root=root, manifest=root / MANIFEST_NAME, ucf_root=ucf_root, videos=ucf_root / "videos",
        splits=splits,
        class_index=splits / "classInd.txt", train_list=splits / "trainlist01.txt",
        test_list=splits / "testlist01.txt", pretrain=root / "pretrain", class_names=tuple(class_names),
        num_train_videos=num_train_videos, num_test_videos=num_test_videos,
        num_pretrain_scenes=num_pretrain_scenes, num_cameras=num_cameras, extension=extension, reused=reused,
    )
