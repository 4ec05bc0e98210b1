"""The typed values that cross package lines, and the glossary every module uses.

Glossary:
    frame index: position of a frame in a full sequential decode of the file, starting at 0.
    clip: ``T`` frames of one video taken every ``frame_stride`` frames.
    view: what one encoder pass sees of a sample: a clip, a single frame (``T == 1``) or a patch tube.
    plan: the frame indices a pretext wants decoded for one sample, grouped into views with roles and a
        target.
    instance: within one sample, views with the same ``instance`` id are positives of each other; views with
        different ids, and every view of another sample, are negatives.

Tensor dimension letters are fixed: B batch, V views, C channels, T time, H height, W width, D features.
Readers return ``uint8 [T, C, H, W]``; an ``Example`` holds ``[V, T, C, H, W]``; a ``Batch`` holds the model
input ``float [B, V, C, T, H, W]`` (the layout change happens once, in ``pipeline.collate``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from temporal_ssl.frame_table import FrameTable

Box = tuple[float, float, float, float]
"""An axis-aligned box ``(x0, y0, x1, y1)`` in pixels of the decoded-at-full-size frame."""


@dataclass(frozen=True)
class VideoMetadata:
    """What a probe measured about one video file.

    Args:
        path: the file.
        num_frames: frames a full sequential decode yields (not the header's claim).
        fps: average frame rate, ``num_frames / duration_seconds`` when the header disagrees with the content.
        width, height: frame size as returned by readers, i.e. upright (after ``rotation`` is applied).
        duration_seconds: time from the first frame's start to the last frame's end.
        codec: the codec name as FFmpeg reports it (``h264``, ``mpeg4``, ``vp9`` ...).
        rotation: degrees counter-clockwise the display matrix asks for (0, 90, 180, 270); readers apply it.
        frame_table: per-frame timestamps and verified seek points; ``None`` when not probed.
        motion: per-frame motion energy measured during the probe's sequential decode (mean absolute
            grey-level difference to the previous frame at low resolution; frame 0 has 0), used to favour
            moving windows; ``None`` when not measured.
        file_size, mtime_ns: identify the file version the probe describes (cache validation).
    """

    path: str
    num_frames: int
    fps: float
    width: int
    height: int
    duration_seconds: float
    codec: str
    rotation: int = 0
    frame_table: FrameTable | None = None
    motion: tuple[float, ...] | None = None
    file_size: int = -1
    mtime_ns: int = -1

    def __post_init__(self) -> None:
        if self.motion is not None and len(self.motion) != self.num_frames:
            raise ValueError(f"motion profile of '{self.path}' has {len(self.motion)} values for "
                             f"{self.num_frames} frames")
        if self.num_frames < 0:
            raise ValueError(f"num_frames of '{self.path}' must be >= 0, got {self.num_frames}")
        if self.frame_table is not None and self.frame_table.num_frames != self.num_frames:
            raise ValueError(
                f"frame table of '{self.path}' lists {self.frame_table.num_frames} frames, "
                f"metadata says {self.num_frames}"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form, inverse of :meth:`from_dict`."""
        data = {k: getattr(self, k) for k in (
            "path", "num_frames", "fps", "width", "height", "duration_seconds", "codec", "rotation",
            "file_size", "mtime_ns")}
        data["frame_table"] = None if self.frame_table is None else self.frame_table.to_dict()
        data["motion"] = None if self.motion is None else [round(m, 2) for m in self.motion]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> VideoMetadata:
        """Rebuild metadata written by :meth:`to_dict`."""
        table = data.get("frame_table")
        return cls(
            path=str(data["path"]), num_frames=int(data["num_frames"]), fps=float(data["fps"]),
            width=int(data["width"]), height=int(data["height"]),
            duration_seconds=float(data["duration_seconds"]), codec=str(data["codec"]),
            rotation=int(data.get("rotation", 0)),
            frame_table=None if table is None else FrameTable.from_dict(table),
            motion=None if data.get("motion") is None else tuple(float(m) for m in data["motion"]),
            file_size=int(data.get("file_size", -1)), mtime_ns=int(data.get("mtime_ns", -1)),
        )


@dataclass(frozen=True)
class CameraStream:
    """One synchronised camera of a multi-camera scene.

    ``offset_seconds`` is the scene time at which this camera's frame 0 was taken, so the scene instant
    ``s`` is this camera's time ``s - offset_seconds``.
    """

    metadata: VideoMetadata
    offset_seconds: float = 0.0


@dataclass(frozen=True)
class VideoRecord:
    """One entry of a corpus: a video (or a synchronised multi-camera scene) and its annotation.

    Args:
        index: position in the corpus index (stable id used for seeding and reporting).
        metadata: the primary video (camera 0 of a multi-camera scene).
        label: class id, or ``None`` for unlabeled video.
        class_name: human-readable class, or ``None``.
        split: ``"train"``, ``"test"``, ``"val"``, or ``None`` when the format has no split.
        cameras: every camera of a synchronised scene, camera 0 first; empty for single-camera video.
        annotations: extra per-video files or values (e.g. ``{"boxes": "path/to/boxes.json"}``).
    """

    index: int
    metadata: VideoMetadata
    label: int | None = None
    class_name: str | None = None
    split: str | None = None
    cameras: tuple[CameraStream, ...] = ()
    annotations: Mapping[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.metadata.path

    @property
    def num_frames(self) -> int:
        return self.metadata.num_frames

    @property
    def num_cameras(self) -> int:
        return max(1, len(self.cameras))

    def camera(self, camera: int) -> CameraStream:
        """The stream of camera ``camera`` (camera 0 is the primary video when there is no camera list)."""
        if not self.cameras:
            if camera != 0:
                raise IndexError(f"'{self.path}' has a single camera; camera {camera} does not exist")
            return CameraStream(self.metadata, 0.0)
        return self.cameras[camera]


@dataclass(frozen=True)
class ViewPlan:
    """Which frames make one view of a sample, and what the view means.

    Args:
        role: what the view is for: ``"clip"``, ``"frame"``, ``"anchor"``, ``"positive"``, ``"negative"`` ...
        frame_indices: frames of ``camera``, in the order the view shows them (a shuffled order is allowed;
            decoding is still one sorted pass).
        camera: which camera of the record the frames come from (0 for single-camera video).
        instance: views of one sample with equal ``instance`` are positives of each other.
        order: position of this view in the original temporal order (order pretexts), else ``None``.
        boxes: one crop box per frame in full-size source pixels (tracking patches), else ``None``.
    """

    role: str
    frame_indices: tuple[int, ...]
    camera: int = 0
    instance: int = 0
    order: int | None = None
    boxes: tuple[Box, ...] | None = None

    def __post_init__(self) -> None:
        if not self.frame_indices:
            raise ValueError(f"view '{self.role}' has no frame indices")
        if min(self.frame_indices) < 0:
            raise ValueError(f"view '{self.role}' has a negative frame index: {self.frame_indices}")
        if self.boxes is not None and len(self.boxes) != len(self.frame_indices):
            raise ValueError(
                f"view '{self.role}' has {len(self.boxes)} boxes for {len(self.frame_indices)} frames"
            )


@dataclass(frozen=True)
class SamplePlan:
    """Everything a pretext decided for one training sample, before any decoding.

    Args:
        record: the video (or scene) the sample comes from.
        views: the views, in the order the example will hold them.
        target: the class target of the pretext (order class, binary label ...), or ``None`` for
            contrastive pretexts whose structure is given by the views' ``instance`` ids.
    """

    record: VideoRecord
    views: tuple[ViewPlan, ...]
    target: int | None = None

    def __post_init__(self) -> None:
        if not self.views:
            raise ValueError(f"a plan for '{self.record.path}' must have at least one view")
        lengths = {len(v.frame_indices) for v in self.views}
        if len(lengths) != 1:
            raise ValueError(
                f"all views of one plan must have the same number of frames, got {sorted(lengths)}"
            )
        for view in self.views:
            stream = self.record.camera(view.camera).metadata
            if max(view.frame_indices) >= stream.num_frames:
                raise ValueError(
                    f"view '{view.role}' asks for frame {max(view.frame_indices)} of '{stream.path}', "
                    f"which has {stream.num_frames} frames"
                )

    def frames_by_camera(self) -> dict[int, list[int]]:
        """Sorted unique frame indices to decode from each camera (one ``get_frames`` call per camera)."""
        wanted: dict[int, set[int]] = {}
        for view in self.views:
            wanted.setdefault(view.camera, set()).update(view.frame_indices)
        return {camera: sorted(indices) for camera, indices in sorted(wanted.items())}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form ``tssl visualize --json`` writes."""
        return {
            "video": self.record.path,
            "target": self.target,
            "views": [
                {
                    "role": v.role,
                    "video": self.record.camera(v.camera).metadata.path,
                    "camera": v.camera if self.record.cameras else None,
                    "instance": v.instance,
                    "order": v.order,
                    "frames": list(v.frame_indices),
                    "boxes": None if v.boxes is None else [list(b) for b in v.boxes],
                }
                for v in self.views
            ],
        }


@dataclass
class Example:
    """One training example as a pretext built it.

    Args:
        views: ``[V, T, C, H, W]``; uint8 straight from decoding, float after augmentation.
        target: int64 scalar class target, ``-1`` when the pretext has none.
        instance_ids: int64 ``[V]``, see :class:`ViewPlan`.
        roles: one role per view.
        video_index: ``VideoRecord.index`` of the source video.
        augment_groups: views with the same group share one draw of augmentation parameters; by default
            every view is its own group (one draw per clip, independent across clips).
    """

    views: torch.Tensor
    target: torch.Tensor
    instance_ids: torch.Tensor
    roles: tuple[str, ...]
    video_index: int
    augment_groups: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.views.ndim != 5:
            raise ValueError(f"Example.views must be [V, T, C, H, W], got shape {tuple(self.views.shape)}")
        num_views = self.views.shape[0]
        if self.instance_ids.shape != (num_views,) or len(self.roles) != num_views:
            raise ValueError(
                f"Example has {num_views} views but instance_ids {tuple(self.instance_ids.shape)} "
                f"and {len(self.roles)} roles"
            )
        if self.augment_groups is None:
            self.augment_groups = tuple(range(num_views))
        elif len(self.augment_groups) != num_views:
            raise ValueError(f"Example has {num_views} views but {len(self.augment_groups)} augment groups")


@dataclass
class Batch:
    """A collated batch, the input of every training step.

    Args:
        views: float ``[B, V, C, T, H, W]`` (the model layout).
        target: int64 ``[B]``; ``-1`` where a pretext has no class target.
        instance_ids: int64 ``[B, V]``.
        video_indices: int64 ``[B]``.
        roles: one role per view, shared by every sample of the batch.
    """

    views: torch.Tensor
    target: torch.Tensor
    instance_ids: torch.Tensor
    video_indices: torch.Tensor
    roles: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.views.ndim != 6:
            raise ValueError(f"Batch.views must be [B, V, C, T, H, W], got shape {tuple(self.views.shape)}")
        batch, num_views = self.views.shape[:2]
        if self.instance_ids.shape != (batch, num_views) or self.target.shape != (batch,):
            raise ValueError(
                f"Batch of {batch}x{num_views} views has target {tuple(self.target.shape)} and "
                f"instance_ids {tuple(self.instance_ids.shape)}"
            )

    @property
    def size(self) -> int:
        return int(self.views.shape[0])

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """The same batch on ``device``."""
        return Batch(
            self.views.to(device, non_blocking=non_blocking),
            self.target.to(device, non_blocking=non_blocking),
            self.instance_ids.to(device, non_blocking=non_blocking),
            self.video_indices.to(device, non_blocking=non_blocking),
            self.roles,
        )

    def pin_memory(self) -> Batch:
        """Page-locked copy, called by ``DataLoader(pin_memory=True)``."""
        return Batch(self.views.pin_memory(), self.target.pin_memory(), self.instance_ids.pin_memory(),
                     self.video_indices.pin_memory(), self.roles)

    def global_instance_ids(self) -> torch.Tensor:
        """int64 ``[B, V]`` ids unique across the batch: views share an id iff they are positives."""
        offset = torch.arange(self.size, device=self.instance_ids.device).unsqueeze(1)
        span = int(self.instance_ids.max().item()) + 1 if self.instance_ids.numel() else 1
        return offset * span + self.instance_ids


@dataclass
class LossOutput:
    """What a loss returns: the scalar to backpropagate and the numbers worth logging."""

    loss: torch.Tensor
    metrics: dict[str, float] = field(default_factory=dict)
