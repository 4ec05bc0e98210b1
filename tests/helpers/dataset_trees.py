"""Tiny copies of real datasets in their official layouts, with the surprises the real downloads hold.

Each builder writes generated videos (``video_factory``) under the official folder and file names, writes the
official split/annotation files, and optionally adds what real copies contain: class-name case that differs
between folders and split files, empty files, videos shorter than a clip, Kinetics rows whose download is
missing, WebM/MKV containers, variable frame rate, rotated videos and non-ASCII names. The real sample videos
in ``../shared/videos`` are linked in under official names when they exist. Every builder returns a
:class:`Tree` saying what a reader must find, so a test can check that nothing was lost.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.helpers.video_factory import VideoSpec, write_video

SHARED_VIDEOS = Path(__file__).resolve().parents[3] / "shared" / "videos"
FRAMES = 100  # longer than every recipe's clip span at stride 1 (Shuffle & Learn's window is 91 frames)


@dataclass
class Tree:
    """A built dataset: where it is, and what a reader should report.

    Args:
        root: the ``root`` of a catalog entry.
        annotations: its ``annotations`` (``None``: found beside the root).
        format: the catalog ``format``.
        usable: per split, the videos that must load.
        quarantined: files that exist but cannot be decoded (empty or corrupt).
        missing: videos the annotations list that are not on disk.
        short: videos shorter than the recipes' clips (decodable; a pretext may skip them).
    """

    root: Path
    annotations: Path | None
    format: str
    usable: dict[str, list[Path]] = field(default_factory=dict)
    quarantined: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    short: list[Path] = field(default_factory=list)

    def catalog_entry(self, *, verify_seeking: bool = False) -> dict[str, object]:
        """The catalog entry; without ``verify_seeking`` files are decoded linearly (faster to index)."""
        entry: dict[str, object] = {"format": self.format, "root": str(self.root)}
        if not verify_seeking:
            entry["verify_backends"] = []
        if self.annotations is not None:
            entry["annotations"] = str(self.annotations)
        return entry


def _video(path: Path, *, frames: int = FRAMES, container: str | None = None, **spec: object) -> Path:
    """Write a generated video at ``path`` (its suffix picks the container unless ``container`` is given)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = container or path.suffix.lstrip(".")
    codec = {"webm": "libvpx-vp9", "avi": "mpeg4"}.get(suffix, "libx264")
    muxer = {"mkv": "matroska", "avi": "avi", "webm": "webm"}.get(suffix, "mp4")
    options = {"deadline": "realtime", "cpu-used": "8"} if codec == "libvpx-vp9" else {}  # SSv2 is VP9
    spec = {"codec": codec, "container": muxer, "num_frames": frames, "options": options, **spec}
    write_video(path, VideoSpec(name=path.stem, **spec))
    return path


def _shared(name: str) -> Path | None:
    path = SHARED_VIDEOS / name
    return path if path.is_file() else None


def _link(source: Path, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(source, path)
    return path


def ucf101_tree(base: Path, *, classes: tuple[str, ...] = ("ApplyEyeMakeup", "HandstandPushups"),
                per_split: int = 2, surprises: bool = True, real_videos: bool = False) -> Tree:
    """``UCF-101/<Class>/v_<Class>_gGG_cCC.avi`` + ``ucfTrainTestlist/`` (CRLF lines, 1-based class ids).

    Surprises: the second class's folder and file names are spelled ``HandStandPushups`` on disk as in the
    real download while the split files say ``HandstandPushups``; an empty file and a missing video in the
    training list; a video shorter than a clip in the test list.
    """
    videos, lists = base / "UCF-101", base / "ucfTrainTestlist"
    lists.mkdir(parents=True)
    tree = Tree(videos, lists, "ucf101", {"train": [], "test": []})
    (lists / "classInd.txt").write_bytes("".join(f"{i} {c}\r\n" for i, c in enumerate(classes, 1)).encode())
    lines: dict[str, list[str]] = {"train": [], "test": []}
    for label, name in enumerate(classes, 1):
        disk = name.replace("Handstand", "HandStand") if surprises else name
        for split, groups in (("train", range(8, 8 + per_split)), ("test", range(1, 1 + per_split))):
            for group in groups:
                listed = f"{name}/v_{name}_g{group:02d}_c01.avi"
                path = _video(videos / disk / f"v_{disk}_g{group:02d}_c01.avi")
                tree.usable[split].append(path)
                lines[split].append(listed + (f" {label}" if split == "train" else ""))
    if surprises:
        empty = videos / classes[0] / f"v_{classes[0]}_g20_c01.avi"
        empty.touch()
        tree.quarantined.append(empty)
        lines["train"] += [f"{classes[0]}/{empty.name} 1", f"{classes[0]}/v_{classes[0]}_g21_c01.avi 1"]
        tree.missing.append(f"v_{classes[0]}_g21_c01.avi")
        short = _video(videos / classes[0] / f"v_{classes[0]}_g02_c02.avi", frames=10)
        lines["test"].append(f"{classes[0]}/{short.name}")
        tree.short.append(short)
        tree.usable["test"].append(short)
    if real_videos and (megamind := _shared("Megamind.avi")):
        path = _link(megamind, videos / classes[0] / f"v_{classes[0]}_g22_c01.avi")
        lines["train"].append(f"{classes[0]}/{path.name} 1")
        tree.usable["train"].append(path)
    for split, rows in lines.items():
        (lists / f"{split}list01.txt").write_bytes("".join(r + "\r\n" for r in rows).encode())
    return tree


def hmdb51_tree(base: Path, *, classes: tuple[str, ...] = ("brush_hair", "wave"), per_split: int = 2,
                surprises: bool = True) -> Tree:
    """``hmdb51_org/<class>/<video>.avi`` + ``testTrainMulti_7030_splits/<class>_test_split1.txt``.

    Split files hold ``<video> <flag> `` lines (trailing space) with 1 = train, 2 = test and 0 = unused in
    this split. Surprises: a non-ASCII file name, a flag-0 video (not used, not lost).
    """
    videos, lists = base / "hmdb51_org", base / "testTrainMulti_7030_splits"
    lists.mkdir(parents=True)
    tree = Tree(videos, lists, "hmdb51", {"train": [], "test": []})
    for name in classes:
        rows = []
        for split, flag in (("train", 1), ("test", 2)):
            for k in range(per_split):
                stem = f"Über_{name}_f_cm_np1_ba_med_{k}" if surprises and k == 0 and flag == 1 else \
                    f"{name}_clip_{split}_{k}_f_cm_np1_ba_med_{k}"
                path = _video(videos / name / f"{stem}.avi")
                tree.usable[split].append(path)
                rows.append(f"{path.name} {flag} \n")
        if surprises:
            unused = _video(videos / name / f"{name}_unused_u_nm_np1_fr_goo_0.avi", frames=20)
            rows.append(f"{unused.name} 0 \n")
        for number in (1, 2, 3):
            (lists / f"{name}_test_split{number}.txt").write_text("".join(rows), encoding="utf-8")
    return tree


def kinetics_tree(base: Path, *, labels: tuple[str, ...] = ("abseiling", "playing guitar"),
                  per_split: int = 2, surprises: bool = True, real_videos: bool = False) -> Tree:
    """``kinetics400/<split>/<label>/<id>_<start:06d>_<end:06d>.mp4`` + ``annotations/{train,validate}.csv``.

    Label folders use underscores for spaces (as downloaders write them). Surprises: a CSV row whose video
    never downloaded, a WebM and an MKV download, a variable-frame-rate file and a rotated phone video.
    """
    root, notes = base / "kinetics400", base / "kinetics400" / "annotations"
    notes.mkdir(parents=True)
    tree = Tree(root, notes, "kinetics", {"train": [], "val": []})
    extras = iter([
        ("webm", {}), ("mkv", {}),
        ("mp4", {"frame_durations": (40, 40, 80), "time_base_den": 1000}),  # variable frame rate
        ("mp4", {"rotation": 90}),
    ] if surprises else [])
    for split, folder, csv_name in (("train", "train", "train.csv"), ("val", "val", "validate.csv")):
        rows = ["label,youtube_id,time_start,time_end,split\n"]
        csv_split = "validate" if split == "val" else split
        for number, label in enumerate(labels):
            for k in range(per_split):
                youtube_id = f"{split[:2]}{number}{k}abcdefgh"[:11]
                container, spec = next(extras, ("mp4", {}))
                name = f"{youtube_id}_{10:06d}_{20:06d}.{container}"
                path = _video(root / folder / label.replace(" ", "_") / name, **spec)
                tree.usable[split].append(path)
                rows.append(f'"{label}",{youtube_id},10,20,{csv_split}\n')
        if surprises:
            rows.append(f'"{labels[0]}",gone{split[:3]}xxxxx,0,10,{csv_split}\n')
            tree.missing.append(f"gone{split[:3]}xxxxx")
        if real_videos and (bikes := _shared("bikes.mp4")):
            name = f"real{split[:2]}bikes_000000_000010.mp4"
            path = _link(bikes, root / folder / labels[-1].replace(" ", "_") / name)
            tree.usable[split].append(path)
            rows.append(f'"{labels[-1]}",real{split[:2]}bikes,0,10,{csv_split}\n')
        (notes / csv_name).write_text("".join(rows), encoding="utf-8")
    return tree


def ssv2_tree(base: Path, *, templates: tuple[str, ...] = ("Pushing something from left to right",
                                                            "Pushing something from right to left"),
              per_split: int = 2) -> Tree:
    """``20bn-something-something-v2/<id>.webm`` + ``labels/{labels,train,validation}.json``."""
    root, notes = base / "20bn-something-something-v2", base / "labels"
    notes.mkdir(parents=True)
    tree = Tree(root, notes, "ssv2", {"train": [], "val": []})
    (notes / "labels.json").write_text(json.dumps({t: str(i) for i, t in enumerate(templates)}))
    video_id = 1
    for split, file_name in (("train", "train.json"), ("val", "validation.json")):
        items = []
        for template in templates:
            for _ in range(per_split):
                path = _video(root / f"{video_id}.webm", frames=60)
                tree.usable[split].append(path)
                items.append({"id": str(video_id), "label": template.lower(), "placeholders": ["something"],
                              "template": template.replace("something", "[something]")})
                video_id += 1
        (notes / file_name).write_text(json.dumps(items))
    return tree


def multicamera_tree(base: Path, *, scenes: int = 2, cameras: int = 2, frames: int = FRAMES) -> Tree:
    """``scenes/<scene>/cam<k>.mp4`` (synchronised cameras) + ``sync.json`` for the first scene."""
    root = base / "scenes"
    tree = Tree(root, None, "multicamera", {"all": []})
    for scene in range(scenes):
        for camera in range(cameras):
            path = _video(root / f"kitchen_{scene:02d}" / f"cam{camera}.mp4", frames=frames)
            tree.usable["all"].append(path)
    offsets = {f"cam{c}": 0.04 * c for c in range(cameras)}
    (root / "kitchen_00" / "sync.json").write_text(json.dumps({"offsets_seconds": offsets}))
    return tree


def unlabeled_tree(base: Path, *, count: int = 3, real_videos: bool = False) -> Tree:
    """A flat folder of unlabelled videos in mixed containers (MP4, WebM, MKV), one with a non-ASCII name."""
    root = base / "youtube"
    tree = Tree(root, None, "list", {"all": []})
    names = ["clip_a.mp4", "clip_b.webm", "vidéo_c.mkv", "clip_d.mp4"][:count]
    tree.usable["all"] = [_video(root / name) for name in names]
    if real_videos:
        for name in ("motion.mov", "cockatoo.mp4"):
            if source := _shared(name):
                tree.usable["all"].append(_link(source, root / f"real_{name}"))
    return tree


def write_catalog(path: Path, trees: dict[str, Tree]) -> Path:
    """A dataset catalog naming each tree (``{name: {format, root, annotations}}``)."""
    path.write_text(yaml.safe_dump({name: tree.catalog_entry() for name, tree in trees.items()}))
    return path
