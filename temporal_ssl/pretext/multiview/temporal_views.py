"""Temporal views of one video as positives: CVRL's two clips and ρ-clips (single-camera multi-view).

**CVRL** (Qian et al., CVPR 2021; METHODS.md §3.3.1, official
``video_ssl_preprocess_ops.sample_ssl_sequence``):
two clips of 16 frames at stride 2. With ``max_offset = L − (T − 1)·s`` (``L`` when the video is no longer
than
one clip span), the start-to-start interval ``Δ ∈ [0, max_offset)`` is drawn from a decreasing density — with
the default power 1, ``p(Δ) ∝ 1 − Δ/max_offset`` (CDF ``2Δ/M − Δ²/M²``) — by bisection on the CDF for one
uniform draw; then ``start₁ ~ U[0, max_offset − Δ)``, ``start₂ = start₁ + Δ``, and the two are swapped at
random.
When the video is too short both starts are independent uniforms over ``[0, L)`` and clips wrap around
(tiling). Distant clips may show different content, so the sampler makes them rarer.

**ρ-clips** (Feichtenhofer et al., CVPR 2021; §3.3.2, PySlowFast ``decoder.get_multiple_start_end_idx``): ρ
clips of 8 frames at stride 8, independent uniform starts; optional bounds on the gap between consecutive
clips
enforced by PySlowFast's rejection sampling: clips are placed one after another, each redrawn up to 100 times
until its gaps to the clips already placed are inside the bounds (then the last draw is kept), and a set that
still breaks a bound is drawn again up to 100 times, keeping the set that breaks them least
(:func:`rho_clip_starts`).

All clips of a sample share instance 0: they are positives of each other and negatives of every other sample's
clips (InfoNCE / NT-Xent over the batch, optionally a MoCo queue via ``model.loss_options.queue_size`` and a
momentum encoder via ``model.momentum``; ρBYOL: ``model.loss: byol`` with ``model.predictor:
byol_predictor``).
Each clip is its own augmentation group: one random crop, colour and blur draw per clip, shared by its frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from temporal_ssl.data.clip_sampling import (
    ShortVideoPolicy,
    clip_span,
    clip_starts_random,
    clips_from_starts,
    num_clip_starts,
)
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.examples import example_from_plan, stack_views
from temporal_ssl.pretext.options import check_int, check_number, check_short_video, option_error
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Example, SamplePlan, VideoRecord, ViewPlan

CVRL_AUGMENTATION: dict[str, Any] = {
    "crop_scale": [0.3, 1.0],
    "crop_ratio": [0.5, 2.0],
    "horizontal_flip_prob": 0.0,
    "color_jitter_prob": 0.8,
    "brightness": 0.8,
    "contrast": 0.8,
    "saturation": 0.8,
    "hue": 0.2,
    "color_jitter_random_order": True,
    "grayscale_prob": 0.2,
    "blur_prob": 0.0,
    "solarize_prob": 0.0,
}
"""The ``augment:`` section CVRL configs should use, in ``data.transforms.VideoAugmentation`` option names.

CVRL (``dataloaders/video_ssl_input.py``) draws per clip one random resized crop (area 0.3–1, aspect 0.5–2),
colour jitter of strength 1 with p = 0.8 and grey-scale with p = 0.2; it blurs clip 1 with p = 1.0 and clip 2
with p = 0.1 and solarises clip 2 with p = 0.2 — that asymmetric pair is
``data.transforms.cvrl_view_augmentations`` (blur and solarise are 0 in the symmetric section above). CVRL
also flips horizontally (p = 0.5); that is **off** here, because on the synthetic corpus a flip turns "move
left" into "move right" (SYNTHETIC.md lesson 8) — set ``horizontal_flip_prob: 0.5`` only for real footage."""

RHO_AUGMENTATION: dict[str, Any] = {
    "crop_scale": [0.2, 0.766],
    "crop_ratio": [0.75, 1.3333],
    "horizontal_flip_prob": 0.0,
    "color_jitter_prob": 0.8,
    "brightness": 0.6,
    "contrast": 0.6,
    "saturation": 0.6,
    "hue": 0.15,
    "color_jitter_random_order": True,
    "grayscale_prob": 0.2,
    "blur_prob": 0.0,
    "solarize_prob": 0.0,
}
"""The ``augment:`` section of the ρ-clip configs (PySlowFast ``configs/contrastive_ssl``): per clip a random
resized crop of 0.2–0.766 of the frame area (their 256–320 short side → 224) with aspect 3/4–4/3, MoCo-v2
colour jitter (0.6, 0.6, 0.6, 0.15) [colour probability 0.8 is MoCo v2's; unverified for PySlowFast] and
grey-scale p = 0.2. Flips off for the reason given in :data:`CVRL_AUGMENTATION`."""


def decreasing_interval(max_offset: int, rng: np.random.Generator, power: float = 1.0) -> int:
    """CVRL's start-to-start interval ``Δ ∈ [0, max_offset)`` with density ``∝ 1 − (Δ/M)^power``.

    Bisection on the CDF ``F(k) = −k^(p+1) / (p·M^(p+1)) + k·(p+1) / (p·M)`` for one uniform draw, with the
    official code's integer halving (``k`` starts at ``M // 2``; stop when the bracket is at most 1 wide).
    """
    if max_offset < 1:
        raise ValueError(f"max_offset must be >= 1, got {max_offset}")
    u = rng.random()
    m = float(max_offset)

    def cdf(k: float) -> float:
        return -(k ** (power + 1)) / (power * m ** (power + 1)) + k * (power + 1) / (power * m)

    low, high, k = 0.0, m, m // 2
    while abs(high - low) > 1.0:
        if cdf(k) > u:
            low, high, k = low, k, (k + low) // 2
        else:
            low, high, k = k, high, (high + k) // 2
    return int(k)


def cvrl_starts(
    num_frames: int,
    *,
    num_frames_per_clip: int,
    frame_stride: int,
    rng: np.random.Generator,
    power: float = 1.0,
) -> tuple[int, int]:
    """The two clip starts of ``sample_ssl_sequence`` (see the module docstring), in random order."""
    if num_frames < 1:
        raise ValueError(f"a video needs at least one frame, got {num_frames}")
    reach = (num_frames_per_clip - 1) * frame_stride
    max_offset = num_frames - reach if num_frames > reach else num_frames
    delta = decreasing_interval(max_offset, rng, power)
    if max_offset == num_frames:
        # Too short for a whole clip (or one-frame clips): independent starts; the clips are tiled.
        first, second = int(rng.integers(0, max_offset)), int(rng.integers(0, max_offset))
    else:
        first = int(rng.integers(0, max_offset - delta))
        second = first + delta
    return (first, second) if rng.random() < 0.5 else (second, first)


@PRETEXTS.register("cvrl")
class CVRL:
    """Two clips of one video at a decreasing-density interval; positives of each other (instance 0).

    Args:
        num_frames_per_clip: frames per clip (CVRL: 16).
        frame_stride: frame step inside a clip (CVRL: 2).
        interval_power: power of the decreasing density (CVRL: 1 = linear; larger favours short intervals).
    """

    name = "cvrl"
    augmentation = CVRL_AUGMENTATION

    def __init__(
        self, *, num_frames_per_clip: int = 16, frame_stride: int = 2, interval_power: float = 1.0
    ) -> None:
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=1)
        check_int("frame_stride", frame_stride, minimum=1)
        check_number("interval_power", interval_power, minimum=0.0, exclusive_minimum=True)
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.interval_power = float(interval_power)

    @property
    def min_num_frames(self) -> int:
        """One clip span; shorter videos are tiled (CVRL's behaviour), never skipped."""
        return clip_span(self.num_frames_per_clip, self.frame_stride)

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """Two clips from :func:`cvrl_starts`; indices past the end wrap around (tiling)."""
        starts = cvrl_starts(
            record.num_frames,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            rng=rng,
            power=self.interval_power,
        )
        clips = clips_from_starts(
            list(starts),
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            num_frames=record.num_frames,
            short_video="loop",
        )
        return SamplePlan(record, tuple(ViewPlan("clip", tuple(int(i) for i in c)) for c in clips))

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Each clip its own augmentation draw (CVRL augments the two clips independently)."""
        return example_from_plan(plan, stack_views(views, plan))

    @property
    def head(self) -> ComponentSpec:
        """CVRL's 3-layer MLP (2048 hidden) → 128-d."""
        return ComponentSpec("projection_mlp", {"out_dim": 128, "hidden_dim": 2048, "num_layers": 3})

    @property
    def loss(self) -> ComponentSpec:
        """NT-Xent / InfoNCE with τ = 0.1, both clips as queries, other videos in the batch as negatives."""
        return ComponentSpec("info_nce", {"temperature": 0.1, "symmetric": True})


MAX_GAP_RETRIES = 100
"""PySlowFast's ``num_retries``: draws per clip, and redraws of a whole set, before the bounds give way."""


def rho_clip_starts(
    num_frames: int,
    *,
    num_clips: int,
    num_frames_per_clip: int,
    frame_stride: int,
    rng: np.random.Generator,
    min_clip_gap_frames: int | None = None,
    max_clip_gap_frames: int | None = None,
    short_video: ShortVideoPolicy = "repeat_last",
) -> np.ndarray:
    """Uniform clip starts with bounded gaps, as PySlowFast's ``get_multiple_start_end_idx``, int64 ``[N]``.

    A gap is counted between consecutive clips in time, from one clip's last frame to the next clip's first (0
    =
    adjacent, negative = overlapping). Clip ``k`` is drawn up to :data:`MAX_GAP_RETRIES` times until every gap
    of the clips placed so far is inside ``[min, max]``; the last draw is kept otherwise. A set that breaks a
    bound is redrawn up to :data:`MAX_GAP_RETRIES` times and the one with the smallest total violation kept.
    Without bounds the starts are simply independent and uniform.
    """
    count = num_clip_starts(num_frames, num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride)
    if count <= 0 or (min_clip_gap_frames is None and max_clip_gap_frames is None):
        return clip_starts_random(
            num_frames,
            num_frames_per_clip=num_frames_per_clip,
            frame_stride=frame_stride,
            num_clips=num_clips,
            rng=rng,
            short_video=short_video,
        )
    span = clip_span(num_frames_per_clip, frame_stride)
    low = -np.inf if min_clip_gap_frames is None else min_clip_gap_frames
    high = np.inf if max_clip_gap_frames is None else max_clip_gap_frames

    def violation(starts: np.ndarray) -> np.ndarray:
        """Total amount by which each row of starts ``[R, k]`` breaks the bounds (0 = valid)."""
        gaps = np.diff(np.sort(starts, axis=1), axis=1) - span
        return (np.clip(low - gaps, 0, None) + np.clip(gaps - high, 0, None)).sum(axis=1)

    best, best_violation = None, np.inf
    for _ in range(MAX_GAP_RETRIES):
        starts = rng.integers(0, count, size=1)
        for _ in range(num_clips - 1):
            candidates = rng.integers(0, count, size=MAX_GAP_RETRIES)
            rows = np.concatenate(
                [np.broadcast_to(starts, (MAX_GAP_RETRIES, len(starts))), candidates[:, None]], axis=1
            )
            valid = np.flatnonzero(violation(rows) == 0)
            starts = rows[valid[0] if valid.size else -1]
        total = float(violation(starts[None, :])[0])
        if total == 0:
            return starts.astype(np.int64)
        if total < best_violation:
            best, best_violation = starts, total
    return np.asarray(best, dtype=np.int64)


@PRETEXTS.register("rho_clips")
class RhoClips:
    """ρ clips of one video at independent uniform starts; all of them positives of each other (instance 0).

    Args:
        num_clips: ρ ≥ 2 (ρMoCo config: 4; ρBYOL config: 2; the paper's framework comparison uses 2).
        num_frames_per_clip: frames per clip (Slow 8×8: 8).
        frame_stride: frame step inside a clip (8).
        min_clip_gap_frames: least frames between consecutive clips in time (negative allows overlap;
            ``None`` = no bound, PySlowFast's default ``DELTA_CLIPS_MIN = -inf``).
        max_clip_gap_frames: most frames between consecutive clips (``None`` = no bound).
        short_video: policy for videos shorter than one clip (PySlowFast clamps indices: ``repeat_last``).
    """

    name = "rho_clips"
    augmentation = RHO_AUGMENTATION

    def __init__(
        self,
        *,
        num_clips: int = 2,
        num_frames_per_clip: int = 8,
        frame_stride: int = 8,
        min_clip_gap_frames: int | None = None,
        max_clip_gap_frames: int | None = None,
        short_video: ShortVideoPolicy = "repeat_last",
    ) -> None:
        check_int("num_clips", num_clips, minimum=2)
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=1)
        check_int("frame_stride", frame_stride, minimum=1)
        for key, value in (
            ("min_clip_gap_frames", min_clip_gap_frames),
            ("max_clip_gap_frames", max_clip_gap_frames),
        ):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise option_error(key, value, "must be an integer number of frames or null (no bound)")
        if (
            min_clip_gap_frames is not None
            and max_clip_gap_frames is not None
            and min_clip_gap_frames > max_clip_gap_frames
        ):
            raise option_error(
                "min_clip_gap_frames",
                min_clip_gap_frames,
                f"must not exceed max_clip_gap_frames = {max_clip_gap_frames}",
            )
        check_short_video(short_video)
        self.num_clips = num_clips
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.min_clip_gap_frames = min_clip_gap_frames
        self.max_clip_gap_frames = max_clip_gap_frames
        self.short_video: ShortVideoPolicy = short_video

    @property
    def min_num_frames(self) -> int:
        return clip_span(self.num_frames_per_clip, self.frame_stride)

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """ρ clips at uniform starts; gap bounds by PySlowFast's rejection sampling (``rho_clip_starts``)."""
        starts = rho_clip_starts(
            record.num_frames,
            num_clips=self.num_clips,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            rng=rng,
            min_clip_gap_frames=self.min_clip_gap_frames,
            max_clip_gap_frames=self.max_clip_gap_frames,
            short_video=self.short_video,
        )
        clips = clips_from_starts(
            starts,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            num_frames=record.num_frames,
            short_video=self.short_video,
        )
        return SamplePlan(record, tuple(ViewPlan("clip", tuple(int(i) for i in c)) for c in clips))

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Each clip its own augmentation draw (ρ-methods crop and colour-jitter each clip independently)."""
        return example_from_plan(plan, stack_views(views, plan))

    @property
    def head(self) -> ComponentSpec:
        """ρMoCo's 3-layer MLP (2048 hidden) → 128-d."""
        return ComponentSpec("projection_mlp", {"out_dim": 128, "hidden_dim": 2048, "num_layers": 3})

    @property
    def loss(self) -> ComponentSpec:
        """InfoNCE, τ = 0.1, every clip a query against the other clips of its video (all ordered pairs)."""
        return ComponentSpec("info_nce", {"temperature": 0.1, "symmetric": True})
