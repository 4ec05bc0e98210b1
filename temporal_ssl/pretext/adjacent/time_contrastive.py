"""Adjacent-frame similarity: time-contrastive sampling and temporal coherence (slowness).

**Single-view TCN** (Sermanet et al., ICRA 2018; METHODS.md §2.3): an anchor at time ``t``, a positive within
``pos_radius`` of it and negatives farther than ``neg_radius`` from it, in the same video; frames between the
two radii are neither. Released defaults: ``pos_radius = 6`` and ``neg_radius = 12`` frames, triplet loss on
squared Euclidean distances with semi-hard in-batch mining and margin 0.2. The reference code asserts
``neg_radius > pos_radius``; here that is a ``ConfigError``. Radii are in frames or in seconds
(``radius_unit``), measured on the probe's timestamps, so variable-frame-rate video is handled exactly. The
TCN batch is one contiguous run of frames in which every frame is an anchor; here a sample holds an anchor,
one positive and ``num_negatives`` same-video negatives, and views of the other samples in the batch are
negatives too (their instance ids differ), which gives the in-batch miner the same kind of pool.

**Temporal coherence** (Mobahi, Collobert, Weston, ICML 2009; §2.1; ``temporal_coherence``): consecutive
frames are pulled together, other pairs pushed beyond a margin — the same plan with ``pos_radius = 1`` and the
``coherence`` loss.

Instance ids: anchor and positive share 0; each negative has its own id (1, 2, …), so negatives are also
negatives of each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from temporal_ssl.data.clip_sampling import ShortVideoError, ShortVideoPolicy, clip_span
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.clip_plans import clip_frames
from temporal_ssl.pretext.examples import example_from_plan, stack_views
from temporal_ssl.pretext.frame_times import frame_times_seconds
from temporal_ssl.pretext.options import (
    check_choice,
    check_int,
    check_number,
    check_short_video,
    option_error,
)
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Example, SamplePlan, VideoRecord, ViewPlan

RadiusUnit = Literal["frames", "seconds"]


def tcn_embedding_head() -> ComponentSpec:
    """TCN's embedding (single- and multi-view): a fully connected layer (2048), then 32-d."""
    return ComponentSpec(
        "projection_mlp", {"out_dim": 32, "hidden_dim": 2048, "num_layers": 2, "batch_norm": False}
    )


def tcn_triplet_loss() -> ComponentSpec:
    """TCN's loss: triplet on squared Euclidean distances, semi-hard in-batch mining, margin 0.2."""
    return ComponentSpec("triplet", {"distance": "squared_euclidean", "margin": 0.2, "mining": "semi_hard"})


class _TimeContrastiveSampler:
    """The anchor / positive / negatives plan shared by ``time_contrastive`` and ``temporal_coherence``."""

    name = "time_contrastive"

    def __init__(
        self,
        *,
        pos_radius: float,
        neg_radius: float,
        radius_unit: RadiusUnit,
        num_negatives: int,
        num_frames_per_clip: int,
        frame_stride: int,
        short_video: ShortVideoPolicy,
    ) -> None:
        check_choice("radius_unit", radius_unit, ("frames", "seconds"))
        check_number("pos_radius", pos_radius, minimum=0.0, exclusive_minimum=True)
        check_number("neg_radius", neg_radius, minimum=0.0, exclusive_minimum=True)
        if neg_radius <= pos_radius:
            raise option_error(
                "neg_radius",
                neg_radius,
                f"must be greater than pos_radius = {pos_radius}: a frame cannot be both a positive "
                "and a negative of one anchor (TCN uses neg_radius = 2 x pos_radius)",
            )
        check_int("num_negatives", num_negatives, minimum=1)
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=1)
        check_int("frame_stride", frame_stride, minimum=1)
        check_short_video(short_video)
        self.pos_radius = float(pos_radius)
        self.neg_radius = float(neg_radius)
        self.radius_unit: RadiusUnit = radius_unit
        self.num_negatives = num_negatives
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.short_video: ShortVideoPolicy = short_video

    @property
    def min_num_frames(self) -> int:
        """Frames for an anchor and a negative beyond ``neg_radius`` (in frame units; seconds need fps)."""
        span = clip_span(self.num_frames_per_clip, self.frame_stride)
        if self.radius_unit == "seconds":
            return span + 1
        return span + int(np.floor(self.neg_radius)) + 1

    def positions(self, record: VideoRecord) -> np.ndarray:
        """float64 ``[P]``: where each possible view start lies, in the radius unit (frames or seconds).

        Starts keep the view inside the video; a video shorter than one view follows ``short_video`` (``skip``
        raises ``ShortVideoError``, otherwise every frame is a start and clips are wrapped or padded).
        """
        count = record.num_frames - clip_span(self.num_frames_per_clip, self.frame_stride) + 1
        if count < 1:
            if self.short_video == "skip" or record.num_frames < 1:
                raise ShortVideoError(record.num_frames, self.min_num_frames, "a time-contrastive view",
                                      skipped_by_policy=record.num_frames >= 1)
            count = record.num_frames
        if self.radius_unit == "frames":
            return np.arange(count, dtype=np.float64)
        return frame_times_seconds(record.metadata)[:count]

    def sample_starts(self, record: VideoRecord, rng: np.random.Generator) -> tuple[int, int, list[int]]:
        """Start frames of the anchor, the positive and the negatives.

        The anchor is uniform over the starts that have at least one positive and one negative; a first guess
        is tried alone (the common case in a long video) before every start is counted.
        """
        pos = self.positions(record)
        eps = 1e-9  # a distance equal to a radius counts as inside it

        def bounds(at: np.ndarray | float) -> tuple[np.ndarray, ...]:
            near_lo = np.searchsorted(pos, at - self.pos_radius - eps, side="left")
            near_hi = np.searchsorted(pos, at + self.pos_radius + eps, side="right")
            far_lo = np.searchsorted(pos, at - self.neg_radius - eps, side="left")  # negatives: [0, far_lo)
            far_hi = np.searchsorted(pos, at + self.neg_radius + eps, side="right")  # and [far_hi, P)
            return near_lo, near_hi, far_lo, far_hi

        anchor = int(rng.integers(0, len(pos)))
        near_lo, near_hi, far_lo, far_hi = (int(v) for v in bounds(pos[anchor]))
        if near_hi - near_lo < 2 or far_lo + len(pos) - far_hi < 1:
            lows, highs, lefts, rights = bounds(pos)
            valid = np.flatnonzero((highs - lows >= 2) & (lefts + len(pos) - rights >= 1))
            if valid.size == 0:
                raise ShortVideoError(
                    record.num_frames,
                    self.min_num_frames,
                    f"an anchor with a positive within {self.pos_radius:g} and a negative beyond "
                    f"{self.neg_radius:g} {self.radius_unit}",
                )
            anchor = int(valid[rng.integers(0, valid.size)])
            near_lo, near_hi, far_lo, far_hi = (int(v[anchor]) for v in (lows, highs, lefts, rights))
        positive = int(rng.integers(near_lo, near_hi - 1))
        positive += positive >= anchor  # skip the anchor itself
        num_far = far_lo + len(pos) - far_hi
        picks = rng.choice(num_far, size=self.num_negatives, replace=num_far < self.num_negatives)
        negatives = [int(p) if p < far_lo else int(far_hi + p - far_lo) for p in picks]
        return anchor, positive, negatives

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """Anchor, positive and negatives of one video (single frames or short clips)."""
        anchor, positive, negatives = self.sample_starts(record, rng)
        clips = clip_frames(
            record,
            [anchor, positive, *negatives],
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            short_video=self.short_video,
        )
        roles = ["anchor", "positive"] + ["negative"] * len(negatives)
        instances = [0, 0, *range(1, len(negatives) + 1)]
        views = tuple(
            ViewPlan(role, frames, instance=instance)
            for role, frames, instance in zip(roles, clips, instances, strict=True)
        )
        return SamplePlan(record, views)

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Every view its own augmentation draw: the embedding must not depend on crop or colour."""
        return example_from_plan(plan, stack_views(views, plan))


@PRETEXTS.register("time_contrastive")
class TimeContrastive(_TimeContrastiveSampler):
    """Single-view TCN sampling: anchor, positive within ``pos_radius``, negatives beyond ``neg_radius``.

    Args:
        pos_radius: positives lie within this distance of the anchor (TCN: 6 frames ≈ 0.2 s at 29 fps).
        neg_radius: negatives lie farther than this (TCN: 12 frames); must exceed ``pos_radius``.
        radius_unit: ``frames`` or ``seconds`` (frame timestamps from the probe, or ``index / fps``).
        num_negatives: same-video negatives per sample (TCN has no fixed count: every far frame of its
            36-frame batch run is a negative; 2 per sample plus the batch's other videos is our default).
        num_frames_per_clip: 1 = single frames as in TCN; more = short clips starting at the sampled times
            (for 3D encoders).
        frame_stride: frame step inside a clip.
        short_video: policy when a clip runs past the end of the video.
    """

    name = "time_contrastive"

    def __init__(
        self,
        *,
        pos_radius: float = 6,
        neg_radius: float = 12,
        radius_unit: RadiusUnit = "frames",
        num_negatives: int = 2,
        num_frames_per_clip: int = 1,
        frame_stride: int = 1,
        short_video: ShortVideoPolicy = "skip",
    ) -> None:
        super().__init__(
            pos_radius=pos_radius,
            neg_radius=neg_radius,
            radius_unit=radius_unit,
            num_negatives=num_negatives,
            num_frames_per_clip=num_frames_per_clip,
            frame_stride=frame_stride,
            short_video=short_video,
        )

    @property
    def head(self) -> ComponentSpec:
        """TCN's embedding: a fully connected layer (2048) then a 32-d embedding."""
        return tcn_embedding_head()

    @property
    def loss(self) -> ComponentSpec:
        """Triplet loss on squared Euclidean distances with in-batch semi-hard mining, margin 0.2 (TCN).

        Negative mining is the loss's ``mining`` option: set ``model.loss_options.mining`` to ``hard`` or
        ``random`` in a config to change it.
        """
        return tcn_triplet_loss()


@PRETEXTS.register("temporal_coherence")
class TemporalCoherence(_TimeContrastiveSampler):
    """Slowness: neighbouring frames close, farther frames at least a margin apart (Mobahi et al. 2009).

    Same plan as ``time_contrastive`` with neighbours as positives (``pos_radius = 1`` frame) and the
    ``coherence`` loss (L1 pull on neighbours, hinge push on the rest).

    Args:
        pos_radius, neg_radius, radius_unit, num_negatives, num_frames_per_clip, frame_stride, short_video: as
            for ``time_contrastive`` (defaults: neighbours within 1 frame, negatives beyond 2).
    """

    name = "temporal_coherence"

    def __init__(
        self,
        *,
        pos_radius: float = 1,
        neg_radius: float = 2,
        radius_unit: RadiusUnit = "frames",
        num_negatives: int = 1,
        num_frames_per_clip: int = 1,
        frame_stride: int = 1,
        short_video: ShortVideoPolicy = "skip",
    ) -> None:
        super().__init__(
            pos_radius=pos_radius,
            neg_radius=neg_radius,
            radius_unit=radius_unit,
            num_negatives=num_negatives,
            num_frames_per_clip=num_frames_per_clip,
            frame_stride=frame_stride,
            short_video=short_video,
        )

    @property
    def head(self) -> ComponentSpec:
        """A linear embedding of the top layer (the paper applies the loss to the top hidden layer)."""
        return ComponentSpec("projection_mlp", {"out_dim": 128, "num_layers": 1, "batch_norm": False})

    @property
    def loss(self) -> ComponentSpec:
        """L1 pull on neighbours, hinge push to ``δ`` (``model.loss_options.margin``; 1.0, unverified)."""
        return ComponentSpec("coherence", {"margin": 1.0})
