"""Apply one clip's augmentation parameters to that clip: the CPU path used inside data-loader workers.

Works on a single ``[T, C, H, W]`` clip (uint8 or float): the crop is a slice of the decoded frames followed
by one bilinear resize of the small crop, and each colour operation runs with the clip's scalar factors. The
batched path (``batched.py``) computes the same result for many clips at once.
"""

from __future__ import annotations

import torch

from temporal_ssl.data.transforms import functional as TF
from temporal_ssl.data.transforms.params import AugmentParams

_COLOR_FUNCTIONS = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation, TF.adjust_hue)
_IDENTITY = (1.0, 1.0, 1.0, 0.0)


def apply_clip(clip: torch.Tensor, params: AugmentParams, *, output_size: tuple[int, int],
               blur_kernel_size: int, solarize_threshold: float, mean: tuple[float, ...] | None,
               std: tuple[float, ...] | None) -> torch.Tensor:
    """Augment one clip with one row of parameters.

    Args:
        clip: uint8 or float ``[T, C, H, W]`` (float in ``[0, 1]``), ``(H, W) == params.source_size``.
        params: the clip's parameters (``len(params) == 1``).
        output_size: ``(h, w)`` of the result.
        blur_kernel_size: odd Gaussian kernel size.
        solarize_threshold: values at or above it are inverted when solarising.
        mean, std: per-channel normalisation, or ``None`` to keep ``[0, 1]``.

    Returns:
        float32 ``[T, C, h, w]``.
    """
    if clip.ndim != 4:
        raise ValueError(f"apply_clip takes one clip [T, C, H, W], got shape {tuple(clip.shape)}")
    if len(params) != 1:
        raise ValueError(f"apply_clip takes the parameters of one clip, got {len(params)}; index them first")
    if tuple(clip.shape[-2:]) != params.source_size:
        raise ValueError(f"parameters were drawn for {params.source_size} frames, the clip is "
                         f"{tuple(clip.shape[-2:])}")
    top, left, height, width = (int(v) for v in params.crop_boxes[0])
    out = TF.resized_crop(clip, (top, left, height, width), output_size)
    if params.flip[0]:
        out = out.flip(-1)
    factors = (params.brightness[0], params.contrast[0], params.saturation[0], params.hue[0])
    for op in params.color_order[0]:
        if factors[op] != _IDENTITY[op]:
            out = _COLOR_FUNCTIONS[op](out, float(factors[op]))
    if params.grayscale[0]:
        out = TF.rgb_to_grayscale(out).expand_as(out).contiguous()
    if params.blur_sigma[0] > 0:
        kernel = TF.gaussian_kernels(torch.tensor([float(params.blur_sigma[0])]), blur_kernel_size)
        planes = out.reshape(-1, *output_size)
        out = TF.blur_planes(planes, kernel.expand(planes.shape[0], -1)).reshape(out.shape)
    if params.solarize[0]:
        out = TF.solarize(out, solarize_threshold)
    if mean is not None and std is not None:
        out = TF.normalize(out, mean, std)
    return out
