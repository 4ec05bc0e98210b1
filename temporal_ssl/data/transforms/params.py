"""Random augmentation parameters: drawn once per clip, shared by all of its frames.

``sample_params`` is the one place randomness enters the augmentations; the per-clip CPU path and the batched
device path both apply what it returns, so the same parameters give the same result on either. Every draw
consumes the same amount of randomness whatever the probabilities, so changing one option does not shift the
random stream of the others.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np

COLOR_OPS = ("brightness", "contrast", "saturation", "hue")
"""Colour jitter operations; ``AugmentParams.color_order`` holds indices into this tuple."""

_CROP_ATTEMPTS = 10


@dataclass(frozen=True)
class AugmentParams:
    """Augmentation parameters of ``N`` clips (row ``n`` belongs to clip ``n``), as numpy arrays.

    Args:
        source_size: ``(H, W)`` of the frames the crop boxes were drawn for.
        crop_boxes: int64 ``[N, 4]`` ``(top, left, height, width)`` in source pixels.
        flip: bool ``[N]``, mirror left-right.
        brightness, contrast, saturation: float ``[N]`` factors, 1 = unchanged (also when jitter is not
            applied).
        hue: float ``[N]`` hue rotation in turns, 0 = unchanged.
        color_order: int64 ``[N, 4]``, the order the colour operations run in (indices into ``COLOR_OPS``).
        grayscale: bool ``[N]``.
        blur_sigma: float ``[N]`` Gaussian blur sigma in output pixels, 0 = no blur.
        solarize: bool ``[N]``.
    """

    source_size: tuple[int, int]
    crop_boxes: np.ndarray
    flip: np.ndarray
    brightness: np.ndarray
    contrast: np.ndarray
    saturation: np.ndarray
    hue: np.ndarray
    color_order: np.ndarray
    grayscale: np.ndarray
    blur_sigma: np.ndarray
    solarize: np.ndarray

    def __len__(self) -> int:
        return int(self.flip.shape[0])

    def take(self, rows: Sequence[int] | np.ndarray) -> AugmentParams:
        """The parameters of clips ``rows`` (repeats allowed), e.g. to share one draw across a group."""
        rows = np.asarray(rows, dtype=np.int64)
        return AugmentParams(self.source_size, **{f.name: getattr(self, f.name)[rows]
                                                  for f in fields(self) if f.name != "source_size"})

    def __getitem__(self, row: int) -> AugmentParams:
        return self.take([row])

    @staticmethod
    def concat(parts: Sequence[AugmentParams]) -> AugmentParams:
        """Parameters of several draws stacked (e.g. the two differently augmented views of CVRL)."""
        sizes = {p.source_size for p in parts}
        if len(sizes) != 1:
            raise ValueError(f"cannot stack parameters drawn for different frame sizes {sorted(sizes)}")
        return AugmentParams(sizes.pop(), **{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                                             for f in fields(AugmentParams) if f.name != "source_size"})


def sample_params(rng: np.random.Generator, *, num_clips: int, height: int, width: int,
                  crop_scale: tuple[float, float], crop_ratio: tuple[float, float],
                  horizontal_flip_prob: float, color_jitter_prob: float, brightness: float, contrast: float,
                  saturation: float, hue: float,
                  color_jitter_random_order: bool, grayscale_prob: float, blur_prob: float,
                  blur_sigma: tuple[float, float], solarize_prob: float,
                  groups: Sequence[int] | None = None) -> AugmentParams:
    """Draw one parameter set per clip (or per group of clips) for frames of ``height x width``.

    Args:
        rng: the only source of randomness.
        num_clips: ``N``.
        height, width: source frame size in pixels.
        crop_scale, crop_ratio: random resized crop area fraction and aspect-ratio ranges (torchvision rules:
            10 attempts, then a centre crop with the ratio clamped).
        horizontal_flip_prob, color_jitter_prob, grayscale_prob, blur_prob, solarize_prob: probabilities.
        brightness, contrast, saturation: jitter strengths; factors are uniform in ``[max(0, 1 - s), 1 + s]``.
        hue: hue jitter strength; shifts are uniform in ``[-hue, hue]``.
        color_jitter_random_order: shuffle the four colour operations per clip (else the order of
            ``COLOR_OPS``).
        blur_sigma: sigma range of the Gaussian blur, in output pixels.
        groups: one group id per clip; clips with the same id share one draw. ``None``: every clip its own.
    """
    if groups is not None:
        if len(groups) != num_clips:
            raise ValueError(f"groups has {len(groups)} ids for {num_clips} clips")
        unique, inverse = np.unique(np.asarray(groups), return_inverse=True)
        drawn = sample_params(rng, num_clips=len(unique), height=height, width=width, crop_scale=crop_scale,
                              crop_ratio=crop_ratio, horizontal_flip_prob=horizontal_flip_prob,
                              color_jitter_prob=color_jitter_prob, brightness=brightness, contrast=contrast,
                              saturation=saturation, hue=hue,
                              color_jitter_random_order=color_jitter_random_order,
                              grayscale_prob=grayscale_prob, blur_prob=blur_prob, blur_sigma=blur_sigma,
                              solarize_prob=solarize_prob)
        return drawn.take(inverse.reshape(-1))
    n = num_clips
    boxes = _random_resized_crops(rng, n, height, width, crop_scale, crop_ratio)
    flip = rng.random(n) < horizontal_flip_prob
    jitter = rng.random(n) < color_jitter_prob
    factors = [rng.uniform(max(0.0, 1.0 - s), 1.0 + s, n) for s in (brightness, contrast, saturation)]
    hue_shift = rng.uniform(-hue, hue, n)
    order = rng.permuted(np.tile(np.arange(4), (n, 1)), axis=1)
    if not color_jitter_random_order:
        order = np.tile(np.arange(4), (n, 1))
    grayscale = rng.random(n) < grayscale_prob
    blur = rng.random(n) < blur_prob
    sigma = rng.uniform(blur_sigma[0], blur_sigma[1], n)
    solar = rng.random(n) < solarize_prob
    return AugmentParams(
        source_size=(height, width), crop_boxes=boxes, flip=flip,
        brightness=np.where(jitter, factors[0], 1.0), contrast=np.where(jitter, factors[1], 1.0),
        saturation=np.where(jitter, factors[2], 1.0), hue=np.where(jitter, hue_shift, 0.0),
        color_order=order.astype(np.int64), grayscale=grayscale, blur_sigma=np.where(blur, sigma, 0.0),
        solarize=solar,
    )


def _random_resized_crops(rng: np.random.Generator, n: int, height: int, width: int,
                          scale: tuple[float, float], ratio: tuple[float, float]) -> np.ndarray:
    """torchvision ``RandomResizedCrop.get_params`` for ``n`` clips at once: ``[n, 4]`` (top, left, h, w)."""
    area = height * width
    target_area = area * rng.uniform(scale[0], scale[1], (n, _CROP_ATTEMPTS))
    aspect = np.exp(rng.uniform(math.log(ratio[0]), math.log(ratio[1]), (n, _CROP_ATTEMPTS)))
    crop_w = np.round(np.sqrt(target_area * aspect)).astype(np.int64)
    crop_h = np.round(np.sqrt(target_area / aspect)).astype(np.int64)
    position = rng.random((n, _CROP_ATTEMPTS, 2))
    valid = (crop_w > 0) & (crop_w <= width) & (crop_h > 0) & (crop_h <= height)
    top = np.floor(position[..., 0] * (height - crop_h + 1)).astype(np.int64)
    left = np.floor(position[..., 1] * (width - crop_w + 1)).astype(np.int64)
    first = valid.argmax(axis=1)
    rows = np.arange(n)
    boxes = np.stack([top[rows, first], left[rows, first], crop_h[rows, first], crop_w[rows, first]], axis=1)
    fallback = _central_crop(height, width, ratio)
    boxes[~valid.any(axis=1)] = fallback
    return boxes


def _central_crop(height: int, width: int, ratio: tuple[float, float]) -> tuple[int, int, int, int]:
    """torchvision's fallback: the whole frame, cut to the nearest allowed aspect ratio, centred."""
    in_ratio = width / height
    if in_ratio < min(ratio):
        crop_w, crop_h = width, int(round(width / min(ratio)))
    elif in_ratio > max(ratio):
        crop_h, crop_w = height, int(round(height * max(ratio)))
    else:
        crop_w, crop_h = width, height
    return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w
