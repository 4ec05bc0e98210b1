"""Resize and rotate decoded frames held as ``uint8 [N, H, W, 3]`` tensors (the layout decoders produce)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from temporal_ssl.errors import ConfigError


def check_size(size: tuple[int, int] | None) -> tuple[int, int] | None:
    """``size`` as a ``(height, width)`` pair of positive ints, or ``None``; raises :class:`ConfigError`."""
    if size is None:
        return None
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"size must be a (height, width) pair of ints or None, got {size!r}") from error
    if height <= 0 or width <= 0:
        raise ConfigError(f"size must be positive, got (height={height}, width={width})")
    return height, width


def decoded_size(size: tuple[int, int], rotation: int) -> tuple[int, int]:
    """The ``(height, width)`` to decode at so that rotating by ``rotation`` degrees gives ``size``."""
    return (size[1], size[0]) if rotation in (90, 270) else size


def rotate_upright(frames: torch.Tensor, rotation: int) -> torch.Tensor:
    """Rotate ``[N, H, W, C]`` frames ``rotation`` degrees counter-clockwise (as the display matrix asks)."""
    turns = (rotation // 90) % 4
    if turns == 0:
        return frames
    if frames.device.type == "cpu":  # numpy copies single-threaded, without waking torch's thread pool
        return torch.from_numpy(np.ascontiguousarray(np.rot90(frames.numpy(), k=turns, axes=(1, 2))))
    return torch.rot90(frames, k=turns, dims=(1, 2)).contiguous()


def resize_frames(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Antialiased bilinear resize of ``uint8 [N, H, W, C]`` frames to ``size = (height, width)``."""
    if tuple(frames.shape[1:3]) == tuple(size) or frames.shape[0] == 0:
        return frames if frames.shape[0] else frames.new_zeros((0, size[0], size[1], frames.shape[3]))
    as_float = frames.permute(0, 3, 1, 2).float()
    resized = F.interpolate(as_float, size=size, mode="bilinear", antialias=True, align_corners=False)
    return resized.round_().clamp_(0, 255).to(torch.uint8).permute(0, 2, 3, 1).contiguous()
