"""Tensor operations on video clips, shared by the per-clip (CPU worker) and batched (GPU) augmentations.

Clips are ``[T, C, H, W]``; batches of clips ``[N, T, C, H, W]``. Colour operations take float values in
``[0, 1]`` and a factor that is a Python number (one clip) or a tensor ``[N]`` (one factor per clip of a
batch), broadcast over the clip's frames and pixels: every frame of a clip gets the same parameters. Geometric
operations work on any leading dimensions. Everything runs on the tensor's device.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

GRAY_WEIGHTS = (0.2989, 0.587, 0.114)
"""ITU-R 601-2 luma weights, as torchvision's ``rgb_to_grayscale``."""

Factor = float | torch.Tensor


def to_float(clip: torch.Tensor) -> torch.Tensor:
    """uint8 ``[0, 255]`` → float32 ``[0, 1]``; a floating clip is returned as float32 unchanged in value."""
    if clip.dtype == torch.uint8:
        return clip.to(torch.float32).div_(255.0)
    if not clip.is_floating_point():
        raise TypeError(f"clips must be uint8 or floating point, got {clip.dtype}")
    return clip.to(torch.float32)


def normalize(clip: torch.Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> torch.Tensor:
    """``(clip - mean) / std`` per channel; ``clip`` is float ``[..., C, H, W]``."""
    shape = (-1, 1, 1)
    mean_t = torch.as_tensor(mean, dtype=clip.dtype, device=clip.device).view(shape)
    std_t = torch.as_tensor(std, dtype=clip.dtype, device=clip.device).view(shape)
    return (clip - mean_t) / std_t


def _per_clip(factor: Factor, clip: torch.Tensor) -> Factor:
    """A factor shaped to broadcast over the frames and pixels of each clip of ``clip``."""
    if not isinstance(factor, torch.Tensor):
        return factor
    if clip.ndim != 5 or factor.shape != (clip.shape[0],):
        raise ValueError(f"per-clip factors [N] need a batch [N, T, C, H, W]; got factors "
                         f"{tuple(factor.shape)} for a tensor {tuple(clip.shape)}")
    return factor.to(device=clip.device, dtype=clip.dtype).view(-1, 1, 1, 1, 1)


def rgb_to_grayscale(clip: torch.Tensor) -> torch.Tensor:
    """Luma of a float RGB clip ``[..., 3, H, W]`` → ``[..., 1, H, W]``."""
    red, green, blue = clip.unbind(dim=-3)
    return (GRAY_WEIGHTS[0] * red + GRAY_WEIGHTS[1] * green + GRAY_WEIGHTS[2] * blue).unsqueeze(-3)


def _blend(first: torch.Tensor, second: torch.Tensor | float, factor: Factor) -> torch.Tensor:
    return (factor * first + (1.0 - factor) * second).clamp_(0.0, 1.0)


def adjust_brightness(clip: torch.Tensor, factor: Factor) -> torch.Tensor:
    """Multiply by ``factor`` (1 = unchanged), clamped to ``[0, 1]``."""
    return (clip * _per_clip(factor, clip)).clamp_(0.0, 1.0)


def adjust_contrast(clip: torch.Tensor, factor: Factor) -> torch.Tensor:
    """Blend with the mean grey level of the whole clip (1 = unchanged).

    The mean is taken over all frames of the clip, as CVRL does by jittering the clip stacked into one image:
    every frame then undergoes the same affine map, so brightness changes over time survive the jitter.
    """
    mean = rgb_to_grayscale(clip).mean(dim=(-4, -2, -1), keepdim=True)
    return _blend(clip, mean, _per_clip(factor, clip))


def adjust_saturation(clip: torch.Tensor, factor: Factor) -> torch.Tensor:
    """Blend with the grey-scale clip (0 = grey, 1 = unchanged)."""
    return _blend(clip, rgb_to_grayscale(clip), _per_clip(factor, clip))


def rgb_to_hsv(clip: torch.Tensor) -> torch.Tensor:
    """Float RGB ``[..., 3, H, W]`` in ``[0, 1]`` → HSV with hue in ``[0, 1)``."""
    value, _ = clip.max(dim=-3)
    chroma = value - clip.min(dim=-3).values
    safe_chroma = torch.where(chroma > 0, chroma, torch.ones_like(chroma))
    saturation = torch.where(value > 0, chroma / torch.where(value > 0, value, torch.ones_like(value)),
                             torch.zeros_like(value))
    red, green, blue = clip.unbind(dim=-3)
    hue = torch.where(value == red, (green - blue) / safe_chroma,
                      torch.where(value == green, 2.0 + (blue - red) / safe_chroma,
                                  4.0 + (red - green) / safe_chroma))
    hue = torch.where(chroma > 0, torch.remainder(hue / 6.0, 1.0), torch.zeros_like(hue))
    return torch.stack((hue, saturation, value), dim=-3)


def hsv_to_rgb(clip: torch.Tensor) -> torch.Tensor:
    """HSV ``[..., 3, H, W]`` (hue in ``[0, 1)``) → RGB, in closed form.

    Each channel is ``v - v s clamp(min(k, 4 - k), 0, 1)`` with ``k = (n + 6 h) mod 6`` and ``n`` = 5, 3, 1
    for red, green, blue.
    """
    hue, saturation, value = clip.unbind(dim=-3)
    channels = []
    for n in (5.0, 3.0, 1.0):
        k = torch.remainder(n + hue * 6.0, 6.0)
        channels.append(value - value * saturation * torch.clamp(torch.minimum(k, 4.0 - k), 0.0, 1.0))
    return torch.stack(channels, dim=-3)


def adjust_hue(clip: torch.Tensor, shift: Factor) -> torch.Tensor:
    """Rotate the hue by ``shift`` turns (in ``[-0.5, 0.5]``; 0 = unchanged)."""
    hsv = rgb_to_hsv(clip)
    shift = _per_clip(shift, clip)
    if isinstance(shift, torch.Tensor):
        shift = shift.squeeze(-3)  # hue is one channel: [N, 1, 1, 1] against [N, T, H, W]
    hue = torch.remainder(hsv[..., 0, :, :] + shift, 1.0)
    return hsv_to_rgb(torch.stack((hue, hsv[..., 1, :, :], hsv[..., 2, :, :]), dim=-3)).clamp_(0.0, 1.0)


def solarize(clip: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Invert every value at or above ``threshold`` (a float clip in ``[0, 1]``)."""
    return torch.where(clip >= threshold, 1.0 - clip, clip)


def gaussian_kernels(sigmas: torch.Tensor, kernel_size: int) -> torch.Tensor:
    """Normalised 1-D Gaussian kernels ``[N, K]``, one per sigma; a sigma of 0 gives the identity kernel."""
    if kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"blur kernel_size must be odd and >= 1, got {kernel_size}")
    radius = kernel_size // 2
    x = torch.arange(-radius, radius + 1, dtype=torch.float32, device=sigmas.device)
    sigma = sigmas.to(torch.float32).clamp(min=1e-6).unsqueeze(-1)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel = kernel / kernel.sum(dim=-1, keepdim=True)
    identity = (x == 0).to(torch.float32).expand_as(kernel)
    return torch.where(sigmas.unsqueeze(-1) > 0, kernel, identity)


def blur_planes(planes: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian blur of ``[P, H, W]`` planes, plane ``p`` with kernel ``kernels[p]`` (``[P, K]``).

    One grouped convolution per axis; edges are reflected (as torchvision's ``gaussian_blur``).
    """
    num_planes, height, width = planes.shape
    pad = kernels.shape[-1] // 2
    x = planes.unsqueeze(0)
    x = F.conv2d(F.pad(x, (0, 0, pad, pad), mode="reflect"), kernels.view(num_planes, 1, -1, 1),
                 groups=num_planes)
    x = F.conv2d(F.pad(x, (pad, pad, 0, 0), mode="reflect"), kernels.view(num_planes, 1, 1, -1),
                 groups=num_planes)
    return x.squeeze(0)


def short_side_size(height: int, width: int, size: int) -> tuple[int, int]:
    """``(h, w)`` with the shorter side scaled to ``size``, aspect kept (rounded down, as PySlowFast)."""
    if height <= width:
        return size, int(math.floor(width * size / height))
    return int(math.floor(height * size / width)), size


def resize(clip: torch.Tensor, size: int | tuple[int, int], *, antialias: bool = False) -> torch.Tensor:
    """Bilinear resize of ``[..., C, H, W]``: an int scales the short side to it, a pair ``(h, w)`` is exact.

    ``antialias`` is off by default, as in PySlowFast and CVRL (and in the batched crop, which must agree).
    """
    height, width = clip.shape[-2:]
    out = short_side_size(height, width, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if out == (height, width):
        return to_float(clip)
    flat = to_float(clip).reshape(-1, *clip.shape[-3:])
    resized = F.interpolate(flat, size=out, mode="bilinear", align_corners=False, antialias=antialias)
    return resized.reshape(*clip.shape[:-2], *out)


def resized_crop(clip: torch.Tensor, box: tuple[int, int, int, int], size: tuple[int, int]) -> torch.Tensor:
    """Cut ``box = (top, left, height, width)`` from every frame and resize it to ``size`` (float result)."""
    top, left, height, width = box
    return resize(clip[..., top:top + height, left:left + width], size)


def crop_offsets(height: int, width: int, size: tuple[int, int], position: int) -> tuple[int, int]:
    """``(top, left)`` of crop ``position`` 0, 1, 2 = start, centre, end of the longer side (PySlowFast).

    The shorter side is always centred; the centre rounds up (``ceil((H - h) / 2)``).
    """
    crop_h, crop_w = size
    if crop_h > height or crop_w > width:
        raise ValueError(f"crop {size} is larger than the frame {(height, width)}; resize first")
    top, left = math.ceil((height - crop_h) / 2), math.ceil((width - crop_w) / 2)
    if position != 1:
        if height > width:
            top = 0 if position == 0 else height - crop_h
        else:
            left = 0 if position == 0 else width - crop_w
    return top, left


def spatial_crops(clip: torch.Tensor, size: int | tuple[int, int], *, num_crops: int) -> torch.Tensor:
    """Crops for multi-view testing, stacked first: 1 = centre; 3 = start, centre, end of the long side.

    Args:
        clip: ``[..., C, H, W]``.
        size: crop size, an int for a square.
        num_crops: 1 or 3.
    """
    if num_crops not in (1, 3):
        raise ValueError(f"num_crops must be 1 or 3, got {num_crops}")
    crop = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    height, width = clip.shape[-2:]
    positions = (1,) if num_crops == 1 else (0, 1, 2)
    crops = []
    for position in positions:
        top, left = crop_offsets(height, width, crop, position)
        crops.append(clip[..., top:top + crop[0], left:left + crop[1]])
    return torch.stack(crops)
