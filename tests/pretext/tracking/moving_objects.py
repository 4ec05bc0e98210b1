"""Render small videos of a textured object moving over a textured background, with its true box per frame.

The object translates, grows or shrinks a little, may vanish, and a textured distractor moves elsewhere; the
camera may pan (the whole background shifts). Everything is rendered in memory from a seed, so tests can
compare what the miner and tracker find with the true boxes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class MovingObjectVideo:
    """uint8 ``frames [T, 3, H, W]``; ``boxes [T, 4]`` of the object (NaN once gone) and the distractor."""

    frames: np.ndarray
    boxes: np.ndarray
    distractor_boxes: np.ndarray


def texture(rng: np.random.Generator, height: int, width: int, cell: int, low: float = 0.0,
            high: float = 255.0, tint: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> np.ndarray:
    """Smooth random RGB texture float32 ``[3, H, W]``: uniform noise on a ``cell``-pixel grid, upsampled."""
    coarse = rng.uniform(low, high, size=(1, 3, height // cell + 2, width // cell + 2)).astype(np.float32)
    fine = F.interpolate(torch.from_numpy(coarse), scale_factor=cell, mode="bilinear", align_corners=False)
    return fine[0, :, :height, :width].numpy() * np.asarray(tint, dtype=np.float32)[:, None, None]


def _resize(patch: np.ndarray, side: int) -> np.ndarray:
    return F.interpolate(torch.from_numpy(patch)[None], size=(side, side), mode="bilinear",
                         align_corners=False, antialias=True)[0].numpy()


def render(seed: int, *, num_frames: int = 31, height: int = 120, width: int = 160, size: float = 28.0,
           start: tuple[float, float] = (34.0, 34.0), velocity: tuple[float, float] = (2.0, 1.2),
           growth: float = 0.15, distractor: bool = True, vanish_at: int | None = None,
           camera_velocity: tuple[float, float] = (0.0, 0.0),
           object_tint: tuple[float, float, float] = (1.0, 1.0, 1.0),
           noise_std: float = 0.0) -> MovingObjectVideo:
    """A moving-object video (see the module docstring).

    Args:
        size: object side at frame 0 (pixels); it becomes ``size * (1 + growth)`` at the last frame.
        start: object centre ``(x, y)`` at frame 0; it moves ``velocity`` pixels per frame.
        vanish_at: first frame without the object.
        camera_velocity: pixels per frame the background (and the objects with it) shift.
        object_tint: per-channel factor of the object texture (e.g. ``(1, 0.2, 0.2)`` for a red object).
        noise_std: per-frame Gaussian sensor noise, grey levels.
    """
    rng = np.random.default_rng(seed)
    margin = int(np.ceil(max(abs(camera_velocity[0]), abs(camera_velocity[1])) * num_frames)) + 2
    background = texture(rng, height + 2 * margin, width + 2 * margin, 6, 40.0, 200.0)
    object_texture = texture(rng, 64, 64, 4, tint=object_tint)
    distractor_texture = texture(rng, 64, 64, 5)
    frames = np.empty((num_frames, 3, height, width), dtype=np.uint8)
    boxes = np.full((num_frames, 4), np.nan)
    distractor_boxes = np.full((num_frames, 4), np.nan)
    for t in range(num_frames):
        ox, oy = (int(round(margin + camera_velocity[0] * t)), int(round(margin + camera_velocity[1] * t)))
        image = background[:, oy:oy + height, ox:ox + width].copy()
        shift_x, shift_y = ox - margin, oy - margin
        if distractor:
            side = 22
            x0 = int(round(width - 40 - 1.5 * t - side / 2 - shift_x))
            y0 = int(round(height - 40 - 0.3 * t - side / 2 - shift_y))
            _paste(image, _resize(distractor_texture, side), x0, y0)
            distractor_boxes[t] = (x0, y0, x0 + side, y0 + side)
        if vanish_at is None or t < vanish_at:
            side = int(round(size * (1 + growth * t / max(num_frames - 1, 1))))
            x0 = int(round(start[0] + velocity[0] * t - side / 2 - shift_x))
            y0 = int(round(start[1] + velocity[1] * t - side / 2 - shift_y))
            _paste(image, _resize(object_texture, side), x0, y0)
            boxes[t] = (x0, y0, x0 + side, y0 + side)
        if noise_std:
            image = image + rng.normal(0.0, noise_std, size=image.shape).astype(np.float32)
        frames[t] = np.clip(np.rint(image), 0, 255).astype(np.uint8)
    return MovingObjectVideo(frames, boxes, distractor_boxes)


def _paste(image: np.ndarray, patch: np.ndarray, x0: int, y0: int) -> None:
    """Draw ``patch`` with its top-left corner at ``(x0, y0)``, clipped to the image."""
    height, width = image.shape[1:]
    side = patch.shape[1]
    top, left = max(0, -y0), max(0, -x0)
    bottom, right = min(side, height - y0), min(side, width - x0)
    if bottom > top and right > left:
        image[:, y0 + top:y0 + bottom, x0 + left:x0 + right] = patch[:, top:bottom, left:right]


def iou(a: np.ndarray | tuple[float, ...], b: np.ndarray | tuple[float, ...]) -> float:
    """Intersection over union of two ``(x0, y0, x1, y1)`` boxes."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def write_video(path: str | Path, frames: np.ndarray, *, codec: str = "libx264", fps: int = 25,
                pix_fmt: str = "yuv420p") -> Path:
    """Encode uint8 ``[T, 3, H, W]`` RGB frames with PyAV (H.264 by default, near-lossless)."""
    path = Path(path)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.height, stream.width = frames.shape[2], frames.shape[3]
        stream.pix_fmt = pix_fmt
        if codec == "libx264":
            stream.codec_context.options = {"crf": "18", "preset": "ultrafast"}
        for frame in frames:
            image = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame.transpose(1, 2, 0)), format="rgb24")
            for packet in stream.encode(image):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
