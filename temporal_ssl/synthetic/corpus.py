"""Generate (or reuse) the embedded synthetic corpus: labelled UCF101-style clips and unlabelled scenes.

Every scene is a pure function of ``(seed, which scene)``, so the corpus is identical whatever the number of
worker processes, and an interrupted run resumes where it stopped. ``corpus.json`` records the options; a
second call with the same options reuses the files, different options regenerate them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import multiprocessing
import shutil
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.config import to_dict
from temporal_ssl.cpus import usable_cpus
from temporal_ssl.errors import DatasetError
from temporal_ssl.synthetic.boxes import CameraBoxes, ObjectTrack, SceneBoxes, boxes_path_for, save_boxes
from temporal_ssl.synthetic.layout import (
    MANIFEST_NAME,
    SCENE_BOXES_NAME,
    SYNC_NAME,
    CorpusPaths,
    LabeledClip,
    corpus_paths,
    labeled_clips,
    number_digits,
    scene_name,
    write_split_files,
    write_sync,
)
from temporal_ssl.synthetic.motions import MOTION_CLASSES, class_names
from temporal_ssl.synthetic.render import CameraRender, render_scene
from temporal_ssl.synthetic.scene import SceneOptions, SceneSpec, sample_appearance, sample_scene
from temporal_ssl.synthetic.writer import CODEC_EXTENSIONS, Codec, encode_video

logger = logging.getLogger(__name__)

GENERATOR_VERSION = 1
"""Bumped whenever the same options would render different content, so old corpora are regenerated."""
MANIFEST_FORMAT = "temporal_ssl.synthetic.corpus/1"

# Random-stream tags, so the pool, the groups' looks and the clips' motions never share random numbers.
_POOL_STREAM, _GROUP_STREAM, _CLIP_STREAM = 0, 1, 2


@dataclasses.dataclass(frozen=True)
class CorpusOptions:
    """What to generate. Defaults: the main job's corpus (12,000 unique pool videos: ~5 passes in its budget).

    Args:
        num_pretrain_scenes: unlabelled scenes in ``pretrain/`` (each with ``num_cameras`` videos).
        num_train_per_class, num_test_per_class: labelled clips per class in each split.
        num_classes: an even number of classes (whole time-reversed pairs), at most ``MAX_CLASSES``.
        num_frames: frames per video.
        size: frame ``(height, width)`` in pixels, both even.
        num_cameras: synchronised cameras per pretraining scene (labelled clips have one).
        clips_per_group: labelled clips sharing one look (UCF101 groups have 4 to 7).
        fps: frame rate written in the files.
        codec: ``h264`` (lossless), ``h264_intra`` or ``mpeg4``; see ``writer``.
        seed: everything rendered is a function of this seed and the scene's identity.
        scene: how scenes look and move.
    """

    num_pretrain_scenes: int = 12000
    num_train_per_class: int = 200
    num_test_per_class: int = 100
    num_classes: int = 10
    num_frames: int = 32
    size: tuple[int, int] = (32, 32)
    num_cameras: int = 1
    clips_per_group: int = 4
    fps: int = 25
    codec: Codec = "h264"
    seed: int = 0
    scene: SceneOptions = dataclasses.field(default_factory=SceneOptions)

    def __post_init__(self) -> None:
        class_names(self.num_classes)  # raises for an impossible class count
        for name in ("num_pretrain_scenes", "num_train_per_class", "num_test_per_class"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} = {getattr(self, name)} must be >= 0")
        if self.num_frames < 4:
            raise ValueError(f"num_frames = {self.num_frames} must be >= 4 (motion needs a few frames)")
        height, width = self.size
        if height < 16 or width < 16 or height % 2 or width % 2:
            raise ValueError(f"size = {self.size} must be (height, width), both even and >= 16")
        if not 1 <= self.num_cameras <= 16:
            raise ValueError(f"num_cameras = {self.num_cameras} must be between 1 and 16")
        if self.clips_per_group < 1 or self.fps < 1:
            raise ValueError(f"clips_per_group = {self.clips_per_group} and fps = {self.fps} must be >= 1")
        if self.codec not in CODEC_EXTENSIONS:
            raise ValueError(
                f"codec = {self.codec!r} is not supported; choose one of {', '.join(CODEC_EXTENSIONS)}")

    @property
    def extension(self) -> str:
        return CODEC_EXTENSIONS[self.codec]


def generate_corpus(
    root: str | Path,
    options: CorpusOptions | None = None,
    *,
    workers: int | None = None,
    progress: bool = True,
) -> CorpusPaths:
    """Generate the corpus under ``root``, or reuse it when ``root/corpus.json`` records the same options.

    A corpus made with other options (or by another generator version) is deleted and regenerated; a run that
    was interrupted resumes. ``root`` must be empty or hold a corpus made by this function. Jobs that ask for
    the same ``root`` at once take turns: one generates, the others wait and reuse its files.

    Args:
        root: the corpus folder (created if missing).
        options: what to generate; ``None`` for the defaults.
        workers: worker processes; ``None`` uses every available CPU.
        progress: show a progress bar.
    """
    options = options or CorpusOptions()
    root = Path(root)
    with _corpus_lock(root):
        return _generate(root, options, workers=workers, progress=progress)


@contextlib.contextmanager
def _corpus_lock(root: Path) -> Iterator[None]:
    """Hold ``.<root name>.lock`` beside ``root``: a second job asking for the same corpus waits for the first
    to finish it, then reuses it, instead of rendering the same scenes again beside it."""
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.with_name(f".{root.name}.lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.warning("another process is generating or checking the synthetic corpus at %s; "
                           "waiting for it", root)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def _generate(root: Path, options: CorpusOptions, *, workers: int | None, progress: bool) -> CorpusPaths:
    names = class_names(options.num_classes)
    clips = labeled_clips(names, num_train_per_class=options.num_train_per_class,
                          num_test_per_class=options.num_test_per_class,
                          clips_per_group=options.clips_per_group)
    paths = corpus_paths(
        root, class_names=names, num_train_videos=options.num_train_per_class * options.num_classes,
        num_test_videos=options.num_test_per_class * options.num_classes,
        num_pretrain_scenes=options.num_pretrain_scenes, num_cameras=options.num_cameras,
        extension=options.extension, reused=False,
    )
    manifest = _manifest(options, names, complete=False)
    existing = _read_manifest(paths.manifest)
    if existing is not None and _same_corpus(existing, manifest):
        done_before = existing.get("complete") is True
    else:
        _clear(root, existing)
        _write_json(paths.manifest, manifest)
        done_before = False

    digits = number_digits(clips)
    tasks: list[tuple[Any, ...]] = [("ucf", c, digits) for c in clips]
    tasks += [("pretrain", i) for i in range(options.num_pretrain_scenes)]
    todo = [t for t in tasks if not _task_output(paths, t).is_file()]
    if done_before and not todo:
        logger.info("reusing the synthetic corpus at %s", root)
        return dataclasses.replace(paths, reused=True)
    if todo:
        logger.info("generating %d of %d synthetic scenes under %s", len(todo), len(tasks), root)
        _run(todo, partial(_render_task, options, paths), workers=workers, progress=progress)
    write_split_files(paths.splits, names, clips, options.extension)
    _write_json(paths.manifest, {**manifest, "complete": True})
    return paths


def _manifest(options: CorpusOptions, names: tuple[str, ...], *, complete: bool) -> dict[str, Any]:
    return {"format": MANIFEST_FORMAT, "generator_version": GENERATOR_VERSION, "options": to_dict(options),
            "class_names": list(names), "complete": complete}


def _same_corpus(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    return all(existing.get(k) == wanted[k] for k in ("format", "generator_version", "options"))


def _read_manifest(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}  # unreadable: treat as a different corpus of ours and regenerate
    return data if isinstance(data, dict) else {}


def _clear(root: Path, existing: dict[str, Any] | None) -> None:
    """Remove an old corpus of ours; refuse to touch a non-empty folder that holds none."""
    if existing is None:
        if root.is_dir() and any(root.iterdir()):
            raise DatasetError(
                f"corpus folder '{root}' is not empty and holds no {MANIFEST_NAME}; refusing to write into "
                "it. Choose an empty or new folder for the synthetic corpus"
            )
        root.mkdir(parents=True, exist_ok=True)
        return
    logger.warning("options differ from the corpus at %s: regenerating it", root)
    for name in ("ucf", "pretrain"):
        shutil.rmtree(root / name, ignore_errors=True)
    (root / MANIFEST_NAME).unlink(missing_ok=True)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomic(path, json.dumps(data, indent=2))


def _task_output(paths: CorpusPaths, task: tuple[Any, ...]) -> Path:
    """The file a task writes last: when it exists, the task is complete."""
    if task[0] == "ucf":
        clip, digits = task[1], task[2]
        return boxes_path_for(paths.videos / clip.relative_path(paths.extension, *digits))
    return paths.pretrain / scene_name(task[1], paths.num_pretrain_scenes) / SCENE_BOXES_NAME


def _run(tasks: list[tuple[Any, ...]], work: partial[None], *, workers: int | None, progress: bool) -> None:
    workers = max(1, min(workers or usable_cpus(), len(tasks)))
    bar = tqdm(total=len(tasks), desc="synthetic corpus", unit="scene", disable=not progress)
    with bar:
        if workers == 1:
            for task in tasks:
                work(task)
                bar.update()
            return
        # Spawned (not forked) workers: safe whatever threads the parent runs (torch, tqdm).
        context = multiprocessing.get_context("spawn")
        chunk = max(1, min(64, len(tasks) // (workers * 8)))
        with context.Pool(workers) as pool:
            for _ in pool.imap_unordered(work, tasks, chunksize=chunk):
                bar.update()


def _render_task(options: CorpusOptions, paths: CorpusPaths, task: tuple[Any, ...]) -> None:
    """Render and write one labelled clip or one pretraining scene."""
    if task[0] == "ucf":
        clip, digits = task[1], task[2]
        scene = labeled_scene(options, clip)
        video = paths.videos / clip.relative_path(paths.extension, *digits)
        video.parent.mkdir(parents=True, exist_ok=True)
        renders = render_scene(scene)
        encode_video(video, renders[0].frames, codec=options.codec, fps=options.fps)
        save_boxes(boxes_path_for(video), _scene_boxes(scene, renders, options.fps))
        return
    index = task[1]
    scene = pretrain_scene(options, index)
    folder = paths.pretrain / scene_name(index, options.num_pretrain_scenes)
    folder.mkdir(parents=True, exist_ok=True)
    renders = render_scene(scene)
    for k, render in enumerate(renders):
        video = folder / f"cam{k}{options.extension}"
        encode_video(video, render.frames, codec=options.codec, fps=options.fps)
    write_sync(folder / SYNC_NAME, [c.offset_frames / options.fps for c in scene.cameras])
    save_boxes(folder / SCENE_BOXES_NAME, _scene_boxes(scene, renders, options.fps))


def pretrain_scene(options: CorpusOptions, index: int) -> SceneSpec:
    """Scene ``index`` of the unlabelled pool: a random class, ``num_cameras`` cameras."""
    rng = np.random.default_rng([options.seed, _POOL_STREAM, index])
    motion = MOTION_CLASSES[int(rng.integers(options.num_classes))]
    height, width = options.size
    appearance = sample_appearance(rng, height=height, width=width, num_cameras=options.num_cameras,
                                   options=options.scene)
    return sample_scene(rng, appearance, motion, height=height, width=width, num_frames=options.num_frames,
                        options=options.scene)


def labeled_scene(options: CorpusOptions, clip: LabeledClip) -> SceneSpec:
    """The scene of a labelled clip: its group's look, its own motion, one camera."""
    height, width = options.size
    group_rng = np.random.default_rng([options.seed, _GROUP_STREAM, clip.class_index, clip.group])
    appearance = sample_appearance(group_rng, height=height, width=width, num_cameras=1,
                                   options=options.scene)
    clip_rng = np.random.default_rng([options.seed, _CLIP_STREAM, clip.class_index, clip.group, clip.clip])
    return sample_scene(clip_rng, appearance, MOTION_CLASSES[clip.class_index], height=height, width=width,
                        num_frames=options.num_frames, options=options.scene)


def _scene_boxes(scene: SceneSpec, renders: tuple[CameraRender, ...], fps: int) -> SceneBoxes:
    roles = {o.object_id: o.role for o in scene.objects}
    cameras = {}
    for k, (camera, render) in enumerate(zip(scene.cameras, renders, strict=True)):
        tracks = tuple(ObjectTrack(i, roles[i], render.boxes[row]) for row, i in enumerate(render.object_ids))
        cameras[f"cam{k}"] = CameraBoxes(f"cam{k}", camera.world_to_image, camera.offset_frames, tracks)
    return SceneBoxes(scene.num_frames, scene.height, scene.width, float(fps), cameras)
