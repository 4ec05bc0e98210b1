"""The written corpus: UCF101 layout and split files, multi-camera scenes, boxes, seeding, reuse, resume."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import re
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from temporal_ssl.errors import DatasetError
from temporal_ssl.synthetic.boxes import boxes_path_for, load_boxes
from temporal_ssl.synthetic.corpus import CorpusOptions, generate_corpus, labeled_scene, pretrain_scene
from temporal_ssl.synthetic.layout import CorpusPaths, LabeledClip
from temporal_ssl.synthetic.motions import MAX_CLASSES, class_names
from temporal_ssl.synthetic.render import render_scene
from temporal_ssl.synthetic.scene import SceneOptions

OPTIONS = CorpusOptions(
    num_pretrain_scenes=3, num_train_per_class=3, num_test_per_class=2, num_classes=MAX_CLASSES, num_frames=6,
    size=(32, 48), num_cameras=3, clips_per_group=2, fps=10, seed=5,
    scene=SceneOptions(max_camera_offset_frames=2),
)
LINE = re.compile(r"(?P<cls>[A-Za-z]+)/v_(?P=cls)_g(?P<g>\d{2,})_c(?P<c>\d{2,})\.mp4")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> CorpusPaths:
    root = tmp_path_factory.mktemp("synthetic") / "corpus"
    return generate_corpus(root, OPTIONS, workers=1, progress=False)


def _decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def _digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name != "corpus.json"}


def test_split_files_follow_ucf101(corpus: CorpusPaths) -> None:
    names = class_names(MAX_CLASSES)
    assert corpus.class_index.read_text().splitlines() == [f"{i + 1} {n}" for i, n in enumerate(names)]
    groups: dict[str, dict[str, set[str]]] = {n: {"train": set(), "test": set()} for n in names}
    train_lines = corpus.train_list.read_text().splitlines()
    test_lines = corpus.test_list.read_text().splitlines()
    assert len(train_lines) == 3 * MAX_CLASSES and len(test_lines) == 2 * MAX_CLASSES
    for line in train_lines:
        relative, label = line.split(" ")
        match = LINE.fullmatch(relative)
        assert match, line
        assert names[int(label) - 1] == match["cls"]
        assert (corpus.videos / relative).is_file() and boxes_path_for(corpus.videos / relative).is_file()
        groups[match["cls"]]["train"].add(match["g"])
    for line in test_lines:
        match = LINE.fullmatch(line)  # no label on test lines
        assert match, line
        assert (corpus.videos / line).is_file()
        groups[match["cls"]]["test"].add(match["g"])
    for name in names:  # every class on both sides, groups never shared, test groups first as in split 1
        train, test = groups[name]["train"], groups[name]["test"]
        assert train and test and not train & test
        assert max(test) < min(train)
    assert sorted(p.name for p in corpus.videos.iterdir()) == sorted(names)


def test_labeled_videos_decode_to_what_was_rendered(corpus: CorpusPaths) -> None:
    clip = LabeledClip(3, "MoveDown", 2, 1, "train")
    video = corpus.videos / clip.relative_path(".mp4")
    frames = _decode(video)
    rendered = render_scene(labeled_scene(OPTIONS, clip))[0]
    assert frames.shape == (6, 32, 48, 3)
    # Lossless H.264: the file holds exactly the render after its conversion to YUV 4:2:0.
    converted = np.stack([av.VideoFrame.from_ndarray(f, format="rgb24").reformat(format="yuv420p")
                          .to_ndarray(format="rgb24") for f in rendered.frames])
    assert np.abs(frames.astype(int) - converted.astype(int)).max() <= 1
    boxes = load_boxes(boxes_path_for(video))
    assert list(boxes.cameras) == ["cam0"] and boxes.num_frames == 6 and boxes.fps == 10.0
    np.testing.assert_allclose(boxes.camera(0).principal.boxes, rendered.boxes[0], atol=0.01)
    assert {t.role for t in boxes.camera(0).objects[1:]} == {"distractor"}


def test_pretraining_scenes_hold_synchronised_cameras(corpus: CorpusPaths) -> None:
    scenes = corpus.pretrain_scenes()
    assert [s.name for s in scenes] == ["scene_000000", "scene_000001", "scene_000002"]
    for index, scene in enumerate(scenes):
        assert sorted(p.name for p in scene.iterdir()) == ["boxes.json", "cam0.mp4", "cam1.mp4", "cam2.mp4",
                                                           "sync.json"]
        spec = pretrain_scene(OPTIONS, index)
        offsets = json.loads((scene / "sync.json").read_text())["offsets_seconds"]
        assert offsets == {f"cam{k}": c.offset_frames / 10 for k, c in enumerate(spec.cameras)}
        boxes = load_boxes(scene / "boxes.json")
        assert list(boxes.cameras) == ["cam0", "cam1", "cam2"]
        for k, camera in enumerate(spec.cameras):
            stored = boxes.camera(k)
            np.testing.assert_allclose(stored.world_to_image, camera.world_to_image, atol=1e-7)
            assert stored.offset_frames == camera.offset_frames
            assert [t.object_id for t in stored.objects] == sorted(o.object_id for o in spec.objects)
            for track in stored.objects:
                assert track.boxes.shape == (6, 4)
                shown = track.boxes[track.visible]
                assert np.all(shown[:, :2] >= 0) and np.all(shown[:, 2] <= 48) and np.all(shown[:, 3] <= 32)
                assert np.all(shown[:, 2:] > shown[:, :2])
            assert _decode(scene / f"cam{k}.mp4").shape == (6, 32, 48, 3)
    assert corpus.pretrain_videos(2)[1] == scenes[1] / "cam2.mp4"
    with pytest.raises(ValueError, match="camera 3 does not exist"):
        corpus.pretrain_videos(3)


def test_manifest_records_the_options(corpus: CorpusPaths) -> None:
    manifest = json.loads(corpus.manifest.read_text())
    assert manifest["complete"] is True and manifest["options"]["seed"] == 5
    assert manifest["options"]["scene"]["max_camera_offset_frames"] == 2
    assert manifest["class_names"] == list(class_names(MAX_CLASSES))


def test_same_seed_same_files_whatever_the_worker_count(corpus: CorpusPaths, tmp_path: Path) -> None:
    again = generate_corpus(tmp_path / "again", OPTIONS, workers=2, progress=False)
    assert _digest(again.root) == _digest(corpus.root)
    other = generate_corpus(tmp_path / "other", CorpusOptions(**{**OPTIONS.__dict__, "seed": 6}), workers=1,
                            progress=False)
    theirs, ours = _digest(other.root), _digest(corpus.root)
    assert theirs.keys() == ours.keys()
    videos = [k for k in ours if k.endswith(".mp4")]
    assert all(theirs[k] != ours[k] for k in videos)


def test_reuse_resume_and_regenerate(tmp_path: Path) -> None:
    small = CorpusOptions(num_pretrain_scenes=2, num_train_per_class=1, num_test_per_class=1, num_classes=2,
                          num_frames=4, size=(16, 16))
    root = tmp_path / "corpus"
    first = generate_corpus(root, small, workers=1, progress=False)
    assert not first.reused
    before = _digest(root)
    mtimes = {p: p.stat().st_mtime_ns for p in root.rglob("*.mp4")}

    assert generate_corpus(root, small, workers=1, progress=False).reused
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*.mp4")} == mtimes

    # An interrupted run: one scene lost its last file. Only that scene is rendered again, identically.
    lost = root / "pretrain" / "scene_000001" / "boxes.json"
    lost.unlink()
    resumed = generate_corpus(root, small, workers=1, progress=False)
    assert not resumed.reused and lost.is_file() and _digest(root) == before
    assert (root / "pretrain" / "scene_000000" / "cam0.mp4").stat().st_mtime_ns == mtimes[
        root / "pretrain" / "scene_000000" / "cam0.mp4"]

    bigger = CorpusOptions(**{**small.__dict__, "num_classes": 4})
    regenerated = generate_corpus(root, bigger, workers=1, progress=False)
    assert not regenerated.reused and len(regenerated.class_names) == 4
    assert json.loads((root / "corpus.json").read_text())["options"]["num_classes"] == 4
    assert len(regenerated.class_index.read_text().splitlines()) == 4

    fewer = CorpusOptions(**{**bigger.__dict__, "num_pretrain_scenes": 1})
    generate_corpus(root, fewer, workers=1, progress=False)
    assert sorted(p.name for p in (root / "pretrain").iterdir()) == ["scene_000000"]  # old scenes removed


def test_jobs_asking_for_one_corpus_at_once_take_turns(corpus: CorpusPaths, tmp_path: Path,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    """While one job holds the corpus, a second waits without writing, then gets the same files."""
    root = tmp_path / "shared"
    lock = open(tmp_path / ".shared.lock", "a")  # another job holding the corpus
    fcntl.flock(lock, fcntl.LOCK_EX)
    results: list[CorpusPaths] = []
    second = threading.Thread(target=lambda: results.append(generate_corpus(root, OPTIONS, workers=1,
                                                                            progress=False)))
    with caplog.at_level(logging.WARNING, logger="temporal_ssl.synthetic.corpus"):
        second.start()
        second.join(timeout=1.0)
        assert second.is_alive() and not root.exists()
        lock.close()  # the first job is done
        second.join()
    assert "waiting for it" in caplog.text and len(results) == 1
    assert _digest(root) == _digest(corpus.root)


def test_refuses_a_folder_that_is_not_a_corpus(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("user data")
    with pytest.raises(DatasetError, match=re.escape(f"corpus folder '{tmp_path}' is not empty and holds no "
                                                     "corpus.json")):
        generate_corpus(tmp_path, CorpusOptions(num_pretrain_scenes=1, num_train_per_class=0,
                                                num_test_per_class=0, num_classes=2), progress=False)
    assert (tmp_path / "precious.txt").read_text() == "user data"


@pytest.mark.parametrize("change, message", [
    ({"num_classes": 3}, "num_classes = 3 is not possible"),
    ({"size": (31, 32)}, "size = (31, 32) must be (height, width), both even and >= 16"),
    ({"num_frames": 2}, "num_frames = 2 must be >= 4"),
    ({"num_cameras": 0}, "num_cameras = 0 must be between 1 and 16"),
    ({"codec": "vp9"}, "codec = 'vp9' is not supported"),
    ({"num_pretrain_scenes": -1}, "num_pretrain_scenes = -1 must be >= 0"),
])
def test_impossible_options_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        CorpusOptions(**change)  # type: ignore[arg-type]


def test_scene_options_are_checked() -> None:
    with pytest.raises(ValueError, match=re.escape("num_distractors = (0, 1): need 1 <= min <= max <= 8")):
        SceneOptions(num_distractors=(0, 1))
    with pytest.raises(ValueError, match=re.escape("start_speed_fraction = 1.0: need a value in [0, 1)")):
        SceneOptions(start_speed_fraction=1.0)


def test_bad_boxes_files_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.boxes.json"
    with pytest.raises(DatasetError, match=re.escape(f"boxes file '{missing}' does not exist")):
        load_boxes(missing)
    wrong = tmp_path / "wrong.boxes.json"
    wrong.write_text(json.dumps({"format": "something else"}))
    with pytest.raises(DatasetError, match=re.escape(f"boxes file '{wrong}' has format 'something else'")):
        load_boxes(wrong)
    short = tmp_path / "short.boxes.json"
    camera = {"world_to_image": np.eye(3).tolist(),
              "objects": [{"id": 0, "role": "principal", "boxes": [[0, 0, 1, 1]]}]}
    short.write_text(json.dumps({"format": "temporal_ssl.synthetic.boxes/1", "num_frames": 2, "height": 8,
                                 "width": 8, "fps": 1, "cameras": {"cam0": camera}}))
    with pytest.raises(DatasetError, match="has 1 boxes for 2 frames"):
        load_boxes(short)
