"""Ground-truth object boxes written beside every synthetic video: the ``boxes.json`` schema, save and load.

A pretraining scene has ``<scene>/boxes.json`` covering all its cameras; a labelled video ``v_X_gGG_cCC.mp4``
has ``v_X_gGG_cCC.boxes.json`` beside it (one camera, ``cam0``; see :func:`boxes_path_for`). Schema::

    {
      "format": "temporal_ssl.synthetic.boxes/1",
      "num_frames": 32, "height": 32, "width": 32, "fps": 25.0,
      "cameras": {
        "cam0": {
          "world_to_image": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],   # 3x3 homography, world -> this camera
          "offset_frames": 0,                                     # scene frame shown by this camera's frame 0
          "objects": [
            {"id": 0, "role": "principal", "boxes": [[x0, y0, x1, y1], ..., null, ...]},
            {"id": 1, "role": "distractor", "boxes": [...]}
          ]
        },
        "cam1": {...}
      }
    }

``boxes`` holds one entry per frame of that camera's video. A box is ``[x0, y0, x1, y1]`` in continuous
pixel coordinates of the full-size frame (pixel ``(row i, column j)`` covers ``[j, j+1) x [i, i+1)``),
clipped to the frame; ``null`` marks a frame where the object is out of view. Object ids are the same in
every camera: the same id is the same object, and frame ``k`` of every camera shows scene frame
``k + offset_frames``. World coordinates are camera 0's pixels.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.errors import DatasetError

BOXES_FORMAT = "temporal_ssl.synthetic.boxes/1"
BOXES_SUFFIX = ".boxes.json"


@dataclass(frozen=True)
class ObjectTrack:
    """One object's boxes in one camera.

    Args:
        object_id: the same in every camera of a scene; 0 is the principal.
        role: ``"principal"`` (its motion is the class) or ``"distractor"``.
        boxes: float32 ``[T, 4]`` ``(x0, y0, x1, y1)``, rows of ``NaN`` where the object is out of view.
    """

    object_id: int
    role: Literal["principal", "distractor"]
    boxes: np.ndarray

    @property
    def visible(self) -> np.ndarray:
        """bool ``[T]``: frames where the object is in view."""
        return ~np.isnan(self.boxes[:, 0])

    @property
    def centres(self) -> np.ndarray:
        """float32 ``[T, 2]`` box centres (``NaN`` where out of view)."""
        return (self.boxes[:, :2] + self.boxes[:, 2:]) / 2


@dataclass(frozen=True)
class CameraBoxes:
    """Every object's boxes as seen by one camera, and the camera's geometry."""

    name: str
    world_to_image: np.ndarray
    offset_frames: int
    objects: tuple[ObjectTrack, ...]

    @property
    def principal(self) -> ObjectTrack:
        """The track whose motion is the scene's class."""
        return next(o for o in self.objects if o.role == "principal")


@dataclass(frozen=True)
class SceneBoxes:
    """The contents of one ``boxes.json``: per camera, per object, one box per frame."""

    num_frames: int
    height: int
    width: int
    fps: float
    cameras: dict[str, CameraBoxes]

    def camera(self, index: int) -> CameraBoxes:
        """Camera ``cam<index>``."""
        name = f"cam{index}"
        if name not in self.cameras:
            raise KeyError(f"no camera '{name}'; this file has {', '.join(self.cameras)}")
        return self.cameras[name]


def boxes_path_for(video: str | Path) -> Path:
    """Where the boxes of a labelled video live: ``v_X_g01_c01.mp4`` -> ``v_X_g01_c01.boxes.json``."""
    video = Path(video)
    return video.with_name(video.stem + BOXES_SUFFIX)


def save_boxes(path: str | Path, scene: SceneBoxes) -> Path:
    """Write ``scene`` as ``boxes.json`` (via a temporary file, so a reader never sees half a file)."""
    cameras = {}
    for name, camera in scene.cameras.items():
        cameras[name] = {
            "world_to_image": np.round(camera.world_to_image, 8).tolist(),
            "offset_frames": camera.offset_frames,
            "objects": [
                {"id": track.object_id, "role": track.role, "boxes": _boxes_to_json(track.boxes)}
                for track in camera.objects
            ],
        }
    document = {"format": BOXES_FORMAT, "num_frames": scene.num_frames, "height": scene.height,
                "width": scene.width, "fps": scene.fps, "cameras": cameras}
    path = Path(path)
    return write_text_atomic(path, json.dumps(document, separators=(",", ":")))


def _boxes_to_json(boxes: np.ndarray) -> list[list[float] | None]:
    return [None if np.isnan(row[0]) else [round(float(v), 2) for v in row] for row in boxes]


def load_boxes(path: str | Path) -> SceneBoxes:
    """Read a ``boxes.json`` written by the generator, checking its structure."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"boxes file '{path}' does not exist; generate the corpus with "
                           "tssl make-synthetic or pass the path of an existing boxes.json")
    try:
        document = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise DatasetError(f"boxes file '{path}' is not readable JSON ({error}); regenerate the corpus"
                           ) from None
    if not isinstance(document, dict) or document.get("format") != BOXES_FORMAT:
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise DatasetError(f"boxes file '{path}' has format {found!r}, expected '{BOXES_FORMAT}'; "
                           "regenerate the corpus with this version of temporal_ssl")
    try:
        num_frames = int(document["num_frames"])
        cameras = {name: _camera_from_json(name, value, num_frames)
                   for name, value in document["cameras"].items()}
        return SceneBoxes(num_frames, int(document["height"]), int(document["width"]), float(document["fps"]),
                          cameras)
    except (KeyError, TypeError, ValueError) as error:
        raise DatasetError(f"boxes file '{path}' is malformed: {error}; regenerate the corpus") from None


def _camera_from_json(name: str, value: dict[str, Any], num_frames: int) -> CameraBoxes:
    tracks = []
    for item in value["objects"]:
        rows: Sequence[Any] = item["boxes"]
        if len(rows) != num_frames:
            raise ValueError(
                f"camera '{name}' object {item['id']} has {len(rows)} boxes for {num_frames} frames")
        filled = [[np.nan] * 4 if row is None else row for row in rows]
        boxes = np.array(filled, dtype=np.float32).reshape(-1, 4)
        role = item["role"]
        if role not in ("principal", "distractor"):
            raise ValueError(f"camera '{name}' object {item['id']} has role {role!r}")
        tracks.append(ObjectTrack(int(item["id"]), role, boxes))
    homography = np.array(value["world_to_image"], dtype=np.float64).reshape(3, 3)
    return CameraBoxes(name, homography, int(value.get("offset_frames", 0)), tuple(tracks))
