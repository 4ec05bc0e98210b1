"""Apply per-clip augmentation parameters to a whole batch in one pass: the device (GPU) path.

Nothing loops over the clips of the batch: every crop and flip is one ``grid_sample`` call with a per-clip
sampling grid; colour factors broadcast per clip; the blur is one grouped convolution with a kernel per clip.
The only Python loop is over the four positions of the random colour order. The sampling grid reproduces
``F.interpolate(bilinear, align_corners=False)`` of the cropped region exactly, so the result equals the
per-clip path (``per_clip.py``) up to float rounding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from temporal_ssl.data.transforms import functional as TF
from temporal_ssl.data.transforms.params import AugmentParams

_IDENTITY = (1.0, 1.0, 1.0, 0.0)


def apply_batch(clips: torch.Tensor, params: AugmentParams, *, output_size: tuple[int, int],
                blur_kernel_size: int, solarize_threshold: float, mean: tuple[float, ...] | None,
                std: tuple[float, ...] | None) -> torch.Tensor:
    """Augment ``N`` clips, clip ``n`` with row ``n`` of ``params``.

    Args:
        clips: uint8 or float ``[N, T, C, H, W]`` on any device, ``(H, W) == params.source_size``.
        params: ``N`` rows of parameters.
        output_size, blur_kernel_size, solarize_threshold, mean, std: as in ``per_clip.apply_clip``.

    Returns:
        float32 ``[N, T, C, h, w]`` on the device of ``clips``.
    """
    if clips.ndim != 5:
        raise ValueError(f"apply_batch takes clips [N, T, C, H, W], got shape {tuple(clips.shape)}")
    if len(params) != clips.shape[0]:
        raise ValueError(f"{clips.shape[0]} clips but parameters for {len(params)}")
    if tuple(clips.shape[-2:]) != params.source_size:
        raise ValueError(f"parameters were drawn for {params.source_size} frames, the clips are "
                         f"{tuple(clips.shape[-2:])}")
    device = clips.device

    def column(values: object, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return torch.as_tensor(values, dtype=dtype, device=device)

    out = crop_resize_flip(TF.to_float(clips), column(params.crop_boxes), column(params.flip, torch.bool),
                           output_size)
    factors = [column(params.brightness), column(params.contrast), column(params.saturation),
               column(params.hue)]
    order = column(params.color_order, torch.int64)
    out = _color_jitter(out, factors, order)
    gray = column(params.grayscale, torch.bool).view(-1, 1, 1, 1, 1)
    out = torch.where(gray, TF.rgb_to_grayscale(out).expand_as(out), out)
    sigma = column(params.blur_sigma)
    if bool((sigma > 0).any()):
        kernels = TF.gaussian_kernels(sigma, blur_kernel_size)
        planes_per_clip = out.shape[1] * out.shape[2]
        planes = out.reshape(-1, *output_size)
        out = TF.blur_planes(planes, kernels.repeat_interleave(planes_per_clip, dim=0)).reshape(out.shape)
    solar = column(params.solarize, torch.bool).view(-1, 1, 1, 1, 1)
    out = torch.where(solar, TF.solarize(out, solarize_threshold), out)
    if mean is not None and std is not None:
        out = TF.normalize(out, mean, std)
    return out


def crop_resize_flip(clips: torch.Tensor, boxes: torch.Tensor, flip: torch.Tensor,
                     output_size: tuple[int, int]) -> torch.Tensor:
    """Cut per-clip ``boxes`` ``[N, 4]`` (top, left, h, w), resize them to ``output_size``, mirror some.

    Source coordinates follow ``F.interpolate(mode="bilinear", align_corners=False)`` applied to each crop,
    including its clamping to the crop's edge pixels; ``grid_sample`` then reads them with
    ``align_corners=True`` pixel addressing. All frames of a clip share its grid.

    Args:
        clips: float ``[N, T, C, H, W]``.
        boxes: ``[N, 4]`` crop boxes in pixels.
        flip: bool ``[N]``.
        output_size: ``(h, w)``.
    """
    n, t, c, height, width = clips.shape
    out_h, out_w = output_size
    boxes = boxes.to(torch.float32)
    ys = _source_coordinates(boxes[:, 0], boxes[:, 2], out_h)  # [N, h]
    xs = _source_coordinates(boxes[:, 1], boxes[:, 3], out_w)  # [N, w]
    xs = torch.where(flip.view(-1, 1), xs.flip(-1), xs)
    grid_y = ys / max(height - 1, 1) * 2 - 1
    grid_x = xs / max(width - 1, 1) * 2 - 1
    grid_xy = torch.broadcast_tensors(grid_x.unsqueeze(1), grid_y.unsqueeze(2))
    grid = torch.stack(grid_xy, dim=-1)  # [N, h, w, 2]
    sampled = F.grid_sample(clips.reshape(n, t * c, height, width), grid, mode="bilinear",
                            padding_mode="border", align_corners=True)
    return sampled.reshape(n, t, c, out_h, out_w)


def _source_coordinates(start: torch.Tensor, length: torch.Tensor, size: int) -> torch.Tensor:
    """Source coordinate of output pixel ``i``: ``start + clamp((i + .5) len / size - .5, 0, len - 1)``."""
    scale = (length / size).unsqueeze(-1)
    index = torch.arange(size, dtype=torch.float32, device=start.device).unsqueeze(0)
    relative = ((index + 0.5) * scale - 0.5).clamp(min=0.0)
    relative = torch.minimum(relative, (length - 1).unsqueeze(-1))
    return start.unsqueeze(-1) + relative


def _color_jitter(clips: torch.Tensor, factors: list[torch.Tensor], order: torch.Tensor) -> torch.Tensor:
    """The four colour operations in each clip's own order: at position ``p`` every operation runs with the
    factors of the clips that scheduled it there and the identity elsewhere (an exact no-op for brightness,
    contrast and saturation; hue is computed only where some clip needs it)."""
    functions = (TF.adjust_brightness, TF.adjust_contrast, TF.adjust_saturation)
    for position in range(order.shape[1]):
        for op, function in enumerate(functions):
            here = (order[:, position] == op) & (factors[op] != _IDENTITY[op])
            identity = torch.full_like(factors[op], _IDENTITY[op])
            clips = function(clips, torch.where(here, factors[op], identity))
        here = (order[:, position] == 3) & (factors[3] != 0)
        if bool(here.any()):
            clips = torch.where(here.view(-1, 1, 1, 1, 1), TF.adjust_hue(clips, factors[3]), clips)
    return clips
