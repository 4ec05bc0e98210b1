"""Temporal views of one video as positives: CVRL's two clips and ρ-clips (single-camera multi-view).

**CVRL** (Qian et al., CVPR 2021; official
``video_ssl_preprocess_ops.sample_ssl_sequence``): two clips of 16 frames at stride 2. With
``max_offset = L − (T − 1)·s`` (``L`` when the video is no longer than one clip span), the start-to-start
interval ``Δ ∈ [0, max_offset)`` is drawn from a decreasing density — with the default power 1,
``p(Δ) ∝ 1 − Δ/max_offset`` (CDF ``2Δ/M − Δ²/M²``) — by bisection on the CDF for one uniform draw; then
``start₁ ~ U[0, max_offset − Δ)``, ``start₂ = start₁ + Δ``, and the two are swapped at random. When the video
is too short both starts are independent uniforms over ``[0, L)`` and clips wrap around (tiling). Distant
clips may show different content, so the sampler makes them rarer.

**ρ-clips** (Feichtenhofer et al., CVPR 2021; PySlowFast ``decoder.get_multiple_start_end_idx``): ρ
clips of 8 frames at stride 8, independent uniform starts; optional bounds on the gap between consecutive
clips are enforced by PySlowFast's rejection sampling,
:func:`temporal_ssl.data.clip_sampling.clip_starts_multi` (each clip redrawn up to 100 times, then whole sets
up to 100 times, keeping the set that breaks the bounds least).

All clips of a sample share instance 0: they are positives of each other and negatives of every other sample's
clips (InfoNCE / NT-Xent over the global batch of all ranks; ρMoCo — a momentum encoder and queue-only
negatives — and ρBYOL are ``model:`` overrides, listed in ``configs/pretrain/rho_clips.yaml``). Each clip is
its own augmentation group: one random crop, colour and blur draw per clip, shared by its frames. The
augmentation itself is the config's ``augment:`` section; CVRL's asymmetric pair (blur p = 1.0 on clip 1; blur
p = 0.1 and solarise p = 0.2 on clip 2) is its ``view_overrides`` in ``configs/pretrain/cvrl.yaml``.

``reversed_negatives`` (both pretexts; off in the papers) adds the first clip played backwards as a view of
its own instance sharing that clip's augmentation draw: a negative that only the direction of time tells apart
from the positives (intra-video negatives, as in inter-intra contrastive learning). Two moments of one video
as positives reward features that ignore how the scene changes; where appearance carries no label (the
synthetic corpus) that leaves a time-invariant code, and the reversed clip asks for the direction back. It
needs in-batch negatives (not ρMoCo's queue-only loss).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from temporal_ssl.data.clip_sampling import ShortVideoPolicy, clip_span, clip_starts_multi
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.clip_plans import clip_views
from temporal_ssl.pretext.examples import REVERSED_ROLE, append_reversed, example_from_plan, stack_views
from temporal_ssl.pretext.options import check_int, check_number, check_short_video, option_error
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Example, SamplePlan, VideoRecord


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
        reversed_negatives: add clip 1 played backwards as a hard negative (see the module docstring); a
            config with ``augment.view_overrides`` then gives a third entry, equal to the first.
    """

    name = "cvrl"

    def __init__(
        self, *, num_frames_per_clip: int = 16, frame_stride: int = 2, interval_power: float = 1.0,
        reversed_negatives: bool = False,
    ) -> None:
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=1)
        check_int("frame_stride", frame_stride, minimum=1)
        check_number("interval_power", interval_power, minimum=0.0, exclusive_minimum=True)
        check_reversed_negatives(reversed_negatives, num_frames_per_clip)
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.interval_power = float(interval_power)
        self.reversed_negatives = reversed_negatives

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
        views = clip_views(
            record,
            starts,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            short_video="loop",
        )
        return SamplePlan(record, views)

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Each clip its own augmentation draw (CVRL augments the two clips independently, clip ``i`` with
        the ``augment.view_overrides[i]`` options when the config sets them)."""
        return temporal_views_example(views, plan, reversed_negatives=self.reversed_negatives)

    @property
    def head(self) -> ComponentSpec:
        """CVRL's 3-layer MLP (2048 hidden) → 128-d."""
        return ComponentSpec("projection_mlp", {"out_dim": 128, "hidden_dim": 2048, "num_layers": 3})

    @property
    def loss(self) -> ComponentSpec:
        """NT-Xent / InfoNCE with τ = 0.1, both clips as queries, the other videos of the global batch (every
        rank's) as negatives."""
        return ComponentSpec("info_nce", {"temperature": 0.1, "symmetric": True, "gather_across_ranks": True})


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
        reversed_negatives: add clip 1 played backwards as a hard negative (see the module docstring).
    """

    name = "rho_clips"

    def __init__(
        self,
        *,
        num_clips: int = 2,
        num_frames_per_clip: int = 8,
        frame_stride: int = 8,
        min_clip_gap_frames: int | None = None,
        max_clip_gap_frames: int | None = None,
        short_video: ShortVideoPolicy = "repeat_last",
        reversed_negatives: bool = False,
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
        check_reversed_negatives(reversed_negatives, num_frames_per_clip)
        self.reversed_negatives = reversed_negatives
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
        """ρ clips at uniform starts, gap bounds kept by PySlowFast's rule (``clip_starts_multi``)."""
        starts = clip_starts_multi(
            record.num_frames,
            num_clips=self.num_clips,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            rng=rng,
            min_clip_gap_frames=self.min_clip_gap_frames,
            max_clip_gap_frames=self.max_clip_gap_frames,
            short_video=self.short_video,
        )
        views = clip_views(
            record,
            starts,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            short_video=self.short_video,
        )
        return SamplePlan(record, views)

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Each clip its own augmentation draw (ρ-methods crop and colour-jitter each clip independently)."""
        return temporal_views_example(views, plan, reversed_negatives=self.reversed_negatives)

    @property
    def head(self) -> ComponentSpec:
        """ρSimCLR's and ρMoCo's 3-layer MLP (2048 hidden, no BatchNorm, PySlowFast's configs) → 128-d."""
        return ComponentSpec(
            "projection_mlp", {"out_dim": 128, "hidden_dim": 2048, "num_layers": 3, "batch_norm": False}
        )

    @property
    def loss(self) -> ComponentSpec:
        """InfoNCE, τ = 0.1, every clip a query against the other clips of its video (all ordered pairs), the
        other videos of the global batch (every rank's) as negatives (ρSimCLR)."""
        return ComponentSpec("info_nce", {"temperature": 0.1, "symmetric": True, "gather_across_ranks": True})


def check_reversed_negatives(value: object, num_frames_per_clip: int) -> None:
    """``reversed_negatives`` is a bool, and a reversed clip differs from its source (more than one frame)."""
    if not isinstance(value, bool):
        raise option_error("reversed_negatives", value, "must be true or false")
    if value and num_frames_per_clip < 2:
        raise option_error("reversed_negatives", value, "needs clips of at least 2 frames: a one-frame clip "
                           "played backwards is itself")


def temporal_views_example(
    views: Sequence[torch.Tensor], plan: SamplePlan, *, reversed_negatives: bool
) -> Example:
    """The planned clips (each its own augmentation draw), then clip 1 reversed if ``reversed_negatives``."""
    stacked = stack_views(views, plan)
    if not reversed_negatives:
        return example_from_plan(plan, stacked)
    stacked, ids, groups = append_reversed(stacked, [v.instance for v in plan.views], sources=[0])
    roles = (*(v.role for v in plan.views), REVERSED_ROLE)
    return example_from_plan(plan, stacked, roles=roles, instance_ids=ids, augment_groups=groups)
