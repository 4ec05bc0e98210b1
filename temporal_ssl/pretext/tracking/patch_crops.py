"""Cut box-shaped patches out of decoded frames and resize them to one size (the tracking pretext's views)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torchvision.ops import roi_align

from temporal_ssl.types import Box


def scale_box(box: Box, scale_x: float, scale_y: float) -> Box:
    """``box`` with x coordinates multiplied by ``scale_x`` and y coordinates by ``scale_y``."""
    return (box[0] * scale_x, box[1] * scale_y, box[2] * scale_x, box[3] * scale_y)


def fit_box(box: Box, width: int, height: int) -> Box:
    """Move ``box`` inside a ``width`` x ``height`` frame without resizing it (clip it where it is larger).

    A tracked box near the border may stick out of the frame; shifting it in keeps the patch full of image
    instead of padding, which would be a cue shared by both patches of a pair.
    """
    x0, y0, x1, y1 = box
    box_width, box_height = min(x1 - x0, float(width)), min(y1 - y0, float(height))
    x0 = min(max(x0, 0.0), width - box_width)
    y0 = min(max(y0, 0.0), height - box_height)
    return (x0, y0, x0 + box_width, y0 + box_height)


def enclosing_square(boxes: Sequence[Box]) -> Box:
    """The smallest square centred on the union of ``boxes`` that holds all of them.

    One fixed window for a whole tube keeps the object's motion inside the patches (a per-frame tracked box
    cancels it), while the square keeps the aspect of every patch the same.
    """
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    half = max(x1 - x0, y1 - y0) / 2.0
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return (cx - half, cy - half, cx + half, cy + half)


def crop_patches(frames: torch.Tensor, boxes: Sequence[Box], size: int) -> torch.Tensor:
    """One patch per frame: the frame's box, resampled to ``size`` x ``size`` with area-averaging bilinear.

    Args:
        frames: uint8 ``[T, C, H, W]``.
        boxes: ``T`` boxes ``(x0, y0, x1, y1)`` in pixels of ``frames`` (moved inside the frame first).
        size: output side in pixels.

    Returns:
        uint8 ``[T, C, size, size]``.
    """
    if frames.ndim != 4 or len(boxes) != frames.shape[0]:
        raise ValueError(f"need [T, C, H, W] frames and T boxes, got shape {tuple(frames.shape)} and "
                         f"{len(boxes)} boxes")
    height, width = frames.shape[-2:]
    fitted = [fit_box(box, width, height) for box in boxes]
    # Only the pixels under the boxes (and their bilinear neighbours) are converted to float, in one call.
    left = max(0, int(min(b[0] for b in fitted)) - 1)
    top = max(0, int(min(b[1] for b in fitted)) - 1)
    right = min(width, int(np.ceil(max(b[2] for b in fitted))) + 1)
    bottom = min(height, int(np.ceil(max(b[3] for b in fitted))) + 1)
    region = frames[:, :, top:bottom, left:right].float()
    rows = [(float(t), x0 - left, y0 - top, x1 - left, y1 - top) for t, (x0, y0, x1, y1) in enumerate(fitted)]
    rois = torch.tensor(rows, dtype=torch.float32, device=frames.device)
    patches = roi_align(region, rois, output_size=(size, size), spatial_scale=1.0, sampling_ratio=-1,
                        aligned=True)
    return patches.round_().clamp_(0, 255).to(torch.uint8)
