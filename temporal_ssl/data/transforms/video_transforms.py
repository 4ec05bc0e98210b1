"""The composed augmentations a pipeline uses, built from the ``augment:`` and ``eval_transform:`` sections.

``VideoAugmentation`` holds the options of the temporally consistent training augmentation: one random draw
per clip (``sample_params``), applied to every frame of the clip on CPU (``apply``) or to a whole batch on any
device (``apply_batch``). Defaults are CVRL's (Qian et al. 2021, official ``video_ssl`` code): "area 0.3–1,
aspect 0.5–2 ... colour jitter with strength 1.0 (brightness 0.8, contrast 0.8, saturation 0.8, hue 0.2,
random order) applied with p = 0.8, grey-scale with p = 0.2" — except the horizontal flip, which is off: a
mirrored clip turns "moves left" into "moves right", so order, direction and arrow-of-time pretexts (and the
synthetic corpus's left/right classes) must keep it off.

Views of one example may be augmented differently: ``view_overrides`` holds one mapping per view, and view
``i`` is augmented with the section's options merged with ``view_overrides[i]`` (:meth:`VideoAugmentation.
for_view`). CVRL's asymmetric pair — blur p = 1.0 on clip 1; blur p = 0.1 and solarise p = 0.2 on clip 2 — is
written that way in ``configs/pretrain/cvrl.yaml``.

``VideoEvalTransform`` is the deterministic evaluation transform: resize, then 1 centre or 3 spatial crops.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import torch

from temporal_ssl.data.transforms import functional as TF
from temporal_ssl.data.transforms.batched import apply_batch
from temporal_ssl.data.transforms.params import AugmentParams, sample_params
from temporal_ssl.data.transforms.per_clip import apply_clip
from temporal_ssl.errors import ConfigError
from temporal_ssl.registry import check_keys

KINETICS_MEAN = (0.45, 0.45, 0.45)
KINETICS_STD = (0.225, 0.225, 0.225)
"""PySlowFast's Kinetics normalisation, the default of most video SSL code."""

VIEW_OPTIONS: tuple[str, ...] = (
    "crop_scale", "crop_ratio", "horizontal_flip_prob", "color_jitter_prob", "brightness", "contrast",
    "saturation", "hue", "color_jitter_random_order", "grayscale_prob", "blur_prob", "blur_sigma",
    "solarize_prob",
)
"""The options one view may override: those that shape the random draw. Output size, blur kernel, solarise
threshold and normalisation stay shared, so every view of an example has one shape and one value scale."""


@dataclass(frozen=True)
class VideoAugmentation:
    """Options of the temporally consistent training augmentation (the ``augment:`` config section).

    Args:
        output_size: side of the square output, or ``(height, width)``.
        crop_scale: area fraction range of the random resized crop.
        crop_ratio: aspect-ratio (width / height) range of the crop.
        horizontal_flip_prob: probability of mirroring a clip; keep 0 for order/direction pretexts.
        color_jitter_prob: probability of colour jitter per clip.
        brightness, contrast, saturation, hue: jitter strengths (torchvision ``ColorJitter`` meaning).
        color_jitter_random_order: apply the four colour operations in a random order per clip.
        grayscale_prob: probability of converting a clip to grey.
        blur_prob: probability of a Gaussian blur per clip.
        blur_sigma: blur sigma range in output pixels.
        blur_kernel_size: odd kernel size; ``None`` = about a tenth of the output height (SimCLR/CVRL).
        solarize_prob: probability of solarising a clip.
        solarize_threshold: values (in ``[0, 1]``) at or above it are inverted.
        normalize: subtract ``mean`` and divide by ``std`` per channel at the end.
        mean, std: normalisation constants for values in ``[0, 1]``.
        view_overrides: empty (every view alike) or one mapping per view of the pretext's examples; view
            ``i`` uses these options merged with ``view_overrides[i]``, whose keys come from
            :data:`VIEW_OPTIONS` (e.g. CVRL: ``[{blur_prob: 1.0}, {blur_prob: 0.1, solarize_prob: 0.2}]``).
            Views of one augment group share one draw, so they must get equal overrides.
    """

    output_size: int | tuple[int, int] = 112
    crop_scale: tuple[float, float] = (0.3, 1.0)
    crop_ratio: tuple[float, float] = (0.5, 2.0)
    horizontal_flip_prob: float = 0.0
    color_jitter_prob: float = 0.8
    brightness: float = 0.8
    contrast: float = 0.8
    saturation: float = 0.8
    hue: float = 0.2
    color_jitter_random_order: bool = True
    grayscale_prob: float = 0.2
    blur_prob: float = 0.0
    blur_sigma: tuple[float, float] = (0.1, 2.0)
    blur_kernel_size: int | None = None
    solarize_prob: float = 0.0
    solarize_threshold: float = 0.5
    normalize: bool = True
    mean: tuple[float, float, float] = KINETICS_MEAN
    std: tuple[float, float, float] = KINETICS_STD
    view_overrides: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    _views: tuple[VideoAugmentation, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        for name in ("horizontal_flip_prob", "color_jitter_prob", "grayscale_prob", "blur_prob",
                     "solarize_prob", "solarize_threshold"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"augment.{name} = {getattr(self, name)} must lie in [0, 1]")
        for name in ("brightness", "contrast", "saturation"):
            if getattr(self, name) < 0:
                raise ConfigError(f"augment.{name} = {getattr(self, name)} must be >= 0 (0 turns it off)")
        if not 0.0 <= self.hue <= 0.5:
            raise ConfigError(f"augment.hue = {self.hue} must lie in [0, 0.5] (a fraction of the colour "
                              "circle)")
        _check_range("crop_scale", self.crop_scale, low=0.0, high=1.0, low_inclusive=False)
        _check_range("crop_ratio", self.crop_ratio, low=0.0, high=None, low_inclusive=False)
        _check_range("blur_sigma", self.blur_sigma, low=0.0, high=None, low_inclusive=True)
        height, width = self.output_hw
        if height < 1 or width < 1:
            raise ConfigError(f"augment.output_size = {self.output_size} must be positive")
        if self.kernel_size % 2 == 0 or self.kernel_size < 1 or self.kernel_size // 2 >= min(height, width):
            raise ConfigError(f"augment.blur_kernel_size = {self.blur_kernel_size} must be odd, >= 1 and "
                              f"smaller than twice the output size {self.output_hw}")
        if min(self.std) <= 0:
            raise ConfigError(f"augment.std = {self.std} must be positive")
        if not isinstance(self.view_overrides, (list, tuple)):
            raise ConfigError(f"augment.view_overrides = {self.view_overrides!r} must be a list with one "
                              "mapping of options per view (or empty)")
        checked = [self._checked_override(i, o) for i, o in enumerate(self.view_overrides)]
        object.__setattr__(self, "view_overrides", tuple(override for override, _ in checked))
        object.__setattr__(self, "_views", tuple(view for _, view in checked))

    def _checked_override(self, view: int, override: Any) -> tuple[dict[str, Any], VideoAugmentation]:
        """``override`` with values in the options' form, and the merged options (else ``ConfigError``)."""
        where = f"augment.view_overrides[{view}]"
        if not isinstance(override, Mapping):
            raise ConfigError(f"'{where}' = {override!r} must be a mapping of augmentation options, e.g. "
                              "{blur_prob: 1.0}")
        check_keys(override, list(VIEW_OPTIONS), where=where)
        checked = {key: _view_option(f"{where}.{key}", value, getattr(self, key))
                   for key, value in override.items()}
        try:
            merged = replace(self, **checked, view_overrides=())
        except ConfigError as error:
            raise ConfigError(str(error).replace("augment.", f"{where}.", 1)) from None
        return checked, merged

    def for_view(self, view: int) -> VideoAugmentation:
        """The options view ``view`` of an example is augmented with (``self`` without overrides)."""
        if not self.view_overrides:
            return self
        if not 0 <= view < len(self._views):
            raise ValueError(f"view {view} has no entry in augment.view_overrides "
                             f"({len(self._views)} entries)")
        return self._views[view]

    @property
    def output_hw(self) -> tuple[int, int]:
        """``(height, width)`` of the augmented frames."""
        size = self.output_size
        return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))

    @property
    def kernel_size(self) -> int:
        """The blur kernel size in use (SimCLR's rule ``2 * (height // 20) + 1`` when not set)."""
        if self.blur_kernel_size is not None:
            return self.blur_kernel_size
        return 2 * (self.output_hw[0] // 20) + 1

    def sample_params(self, rng: np.random.Generator, *, num_clips: int, height: int, width: int,
                      groups: Sequence[int] | None = None) -> AugmentParams:
        """Parameters for ``num_clips`` clips of ``height x width`` frames; equal ``groups`` share a draw.

        With ``view_overrides`` the clips are the views of one example (``num_clips`` must equal the number of
        overrides) and each group is drawn with the options of its views.
        """
        if not self.view_overrides:
            return self._draw(rng, num_clips=num_clips, height=height, width=width, groups=groups)
        if num_clips != len(self.view_overrides):
            raise ConfigError(f"augment.view_overrides has {len(self.view_overrides)} entries but the "
                              f"example has {num_clips} views; give one entry per view, or none")
        group_of = list(range(num_clips)) if groups is None else [int(g) for g in groups]
        if len(group_of) != num_clips:
            raise ValueError(f"groups has {len(group_of)} ids for {num_clips} clips")
        first_view: dict[int, int] = {}  # group -> its first view, in order of appearance
        for view, group in enumerate(group_of):
            first = first_view.setdefault(group, view)
            if self._views[view] != self._views[first]:
                raise ConfigError(
                    f"views {first} and {view} share one augmentation draw (augment group {group}) but "
                    "augment.view_overrides gives them different options; give them equal overrides")
        # One draw per group, with its views' options, in order of first appearance.
        parts = [self._views[view]._draw(rng, num_clips=1, height=height, width=width)
                 for view in first_view.values()]
        row_of_group = {group: row for row, group in enumerate(first_view)}
        return AugmentParams.concat(parts).take([row_of_group[g] for g in group_of])

    def _draw(self, rng: np.random.Generator, *, num_clips: int, height: int, width: int,
              groups: Sequence[int] | None = None) -> AugmentParams:
        """``sample_params`` with this object's options for every clip."""
        return sample_params(
            rng, num_clips=num_clips, height=height, width=width, crop_scale=self.crop_scale,
            crop_ratio=self.crop_ratio, horizontal_flip_prob=self.horizontal_flip_prob,
            color_jitter_prob=self.color_jitter_prob, brightness=self.brightness, contrast=self.contrast,
            saturation=self.saturation, hue=self.hue,
            color_jitter_random_order=self.color_jitter_random_order,
            grayscale_prob=self.grayscale_prob, blur_prob=self.blur_prob, blur_sigma=self.blur_sigma,
            solarize_prob=self.solarize_prob, groups=groups,
        )

    def apply(self, clip: torch.Tensor, params: AugmentParams) -> torch.Tensor:
        """CPU path: augment a uint8/float clip ``[T, C, H, W]`` with one row of parameters (float result)."""
        return apply_clip(clip, params, **self._fixed())

    def apply_batch(self, clips: torch.Tensor, params: AugmentParams) -> torch.Tensor:
        """Batched path: augment ``[N, T, C, H, W]`` clips on their device, row ``n`` for clip ``n``."""
        return apply_batch(clips, params, **self._fixed())

    def __call__(self, clip: torch.Tensor, rng: np.random.Generator, *, view: int = 0) -> torch.Tensor:
        """Draw one parameter set (with view ``view``'s options) and augment one clip ``[T, C, H, W]``."""
        height, width = clip.shape[-2:]
        options = self.for_view(view)
        return self.apply(clip, options.sample_params(rng, num_clips=1, height=height, width=width))

    def _fixed(self) -> dict[str, Any]:
        return {"output_size": self.output_hw, "blur_kernel_size": self.kernel_size,
                "solarize_threshold": self.solarize_threshold,
                "mean": self.mean if self.normalize else None, "std": self.std if self.normalize else None}


@dataclass(frozen=True)
class VideoEvalTransform:
    """Deterministic evaluation transform (the ``eval_transform:`` config section): resize, then crop(s).

    Args:
        resize: an int scales the short side to it (PySlowFast); ``(height, width)`` resizes exactly (VCOP's
            128 x 171); ``None`` keeps the decoded size.
        crop_size: crop side (or ``(height, width)``); ``None`` keeps the whole resized frame.
        num_crops: 1 = centre crop; 3 = start, centre and end of the longer side (multi-view testing).
        antialias: antialiased resizing (off in PySlowFast; on gives smoother downscaling).
        normalize, mean, std: as in :class:`VideoAugmentation`.
    """

    resize: int | tuple[int, int] | None = 128
    crop_size: int | tuple[int, int] | None = 112
    num_crops: Literal[1, 3] = 1
    antialias: bool = False
    normalize: bool = True
    mean: tuple[float, float, float] = KINETICS_MEAN
    std: tuple[float, float, float] = KINETICS_STD

    def __post_init__(self) -> None:
        if self.num_crops not in (1, 3):
            raise ConfigError(f"eval_transform.num_crops = {self.num_crops} must be 1 or 3")
        if self.crop_size is None and self.num_crops != 1:
            raise ConfigError("eval_transform.num_crops = 3 needs a crop_size")

    def __call__(self, clip: torch.Tensor) -> torch.Tensor:
        """uint8/float ``[..., T, C, H, W]`` → float ``[M, ..., T, C, h, w]`` (``M = num_crops`` views)."""
        if self.resize is None:
            out = TF.to_float(clip)
        else:
            out = TF.resize(clip, self.resize, antialias=self.antialias)
        if self.crop_size is None:
            out = out.unsqueeze(0)
        else:
            out = TF.spatial_crops(out, self.crop_size, num_crops=self.num_crops)
        return TF.normalize(out, self.mean, self.std) if self.normalize else out


def _view_option(where: str, value: Any, base: Any) -> Any:
    """``value`` in the form of the option it overrides (``base``): a bool, a number or a (min, max) pair."""
    def is_number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if isinstance(base, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"'{where}' must be true or false, got {value!r}")
        return value
    if isinstance(base, tuple):
        if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(is_number(v) for v in value):
            raise ConfigError(f"'{where}' must be a [min, max] pair of numbers, got {value!r}")
        return (float(value[0]), float(value[1]))
    if not is_number(value):
        raise ConfigError(f"'{where}' must be a number, got {value!r}")
    return float(value)


def _check_range(name: str, value: tuple[float, float], *, low: float, high: float | None,
                 low_inclusive: bool) -> None:
    """Check ``value`` is ``(min, max)`` with ``min <= max`` inside ``(low, high]`` (or ``[low, high]``)."""
    above_low = value[0] >= low if low_inclusive else value[0] > low
    if len(value) != 2 or value[0] > value[1] or not above_low or (high is not None and value[1] > high):
        bracket = "[" if low_inclusive else "("
        lower = f"{'>=' if low_inclusive else '>'} {low}"
        bound = f"in {bracket}{low}, {high}]" if high is not None else lower
        raise ConfigError(f"augment.{name} = {value} must be (min, max) with min <= max, both {bound}")
