"""Adjacent-frame similarity: time-contrastive sampling and temporal coherence (slowness).

**Single-view TCN** (Sermanet et al., ICRA 2018): a frame's positives lie within ``pos_radius`` of it, its
negatives farther than ``neg_radius`` in the same sequence; frames between the two radii are neither. Released
defaults: ``pos_radius = 6`` and ``neg_radius = 12`` frames, triplet loss on squared Euclidean distances with
semi-hard in-batch mining and margin 0.2; ``neg_radius > pos_radius`` is required (a ``ConfigError`` here).
TCN's batch is one contiguous run of frames of *one* sequence, so every negative is a temporal neighbour that
shares the anchor's background and differs only in the state of the scene.

Here one sample is that batch: ``num_pairs`` anchor/positive pairs inside one window of one video, placed so
that every frame of one pair lies farther than ``neg_radius`` from every frame of the other pairs. Each pair
is an instance, so the other pairs are exactly the anchor's TCN negatives, and no frame inside ``neg_radius``
is ever called a negative. With ``loader.batch_size: 1`` a step sees one sequence, as TCN does; a larger batch
adds the other videos' frames as negatives (cross-video negatives, which a semi-hard miner will prefer once it
can tell videos apart by their background). The shipped config batches 32 sequences: an encoder with
BatchNorm normalises over the batch, and over a single video it collapsed (TCN's Inception kept its ImageNet
BatchNorm frozen). Radii and the window are in frames or in seconds
(``radius_unit``), measured on the probe's timestamps, so variable-frame-rate video is handled exactly.

**Temporal coherence** (Mobahi, Collobert, Weston, ICML 2009; ``temporal_coherence``): consecutive frames are
pulled together, other pairs pushed beyond a margin — the same plan with ``pos_radius = 1`` and the
``coherence`` loss; its negatives are any other frames, so its config batches several videos.

Views: ``anchor``, ``positive`` for pair 0, then pair 1, …; instance id = the pair's number.
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
    """TCN's loss: triplet on squared Euclidean distances, semi-hard mining, margin 0.2, negatives from the
    anchor's own sequence only (``model.loss_options.negatives=any`` adds the batch's other videos)."""
    return ComponentSpec("triplet", {"distance": "squared_euclidean", "margin": 0.2, "mining": "semi_hard",
                                     "negatives": "same_video"})


class _TimeContrastiveSampler:
    """The pairs-in-one-window plan shared by ``time_contrastive`` and ``temporal_coherence``."""

    name = "time_contrastive"

    def __init__(
        self,
        *,
        pos_radius: float,
        neg_radius: float,
        radius_unit: RadiusUnit,
        num_pairs: int,
        window: float | None,
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
        check_int("num_pairs", num_pairs, minimum=2)
        if window is not None:
            check_number("window", window, minimum=0.0, exclusive_minimum=True)
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=1)
        check_int("frame_stride", frame_stride, minimum=1)
        check_short_video(short_video)
        self.pos_radius = float(pos_radius)
        self.neg_radius = float(neg_radius)
        self.radius_unit: RadiusUnit = radius_unit
        self.num_pairs = num_pairs
        self.window = None if window is None else float(window)
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.short_video: ShortVideoPolicy = short_video

    @property
    def min_num_frames(self) -> int:
        """Frames for ``num_pairs`` pairs of neighbours, ``neg_radius`` apart (in frame units; seconds need
        the timestamps, so only one clip is required up front)."""
        span = clip_span(self.num_frames_per_clip, self.frame_stride)
        if self.radius_unit == "seconds":
            return span + 1
        return span - 1 + 2 * self.num_pairs + (self.num_pairs - 1) * int(np.floor(self.neg_radius))

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

    def sample_pairs(self, record: VideoRecord, rng: np.random.Generator) -> list[tuple[int, int]]:
        """``num_pairs`` (anchor, positive) start frames inside one window, pairs ``neg_radius`` apart.

        Pairs are placed left to right; each first member is uniform among the starts from which the rest
        can still be packed (see :func:`pack_reach`), its partner uniform among the starts within
        ``pos_radius`` after it that keep the rest packable; anchor and positive are then swapped at random.
        """
        times = self.positions(record)
        offset = 0
        if self.window is not None and times[-1] - times[0] > self.window:
            last = int(np.searchsorted(times, times[-1] - self.window, side="right"))
            offset = int(rng.integers(0, last))
            times = times[offset: int(np.searchsorted(times, times[offset] + self.window + 1e-9, "right"))]
        count = len(times)
        eps = 1e-9  # a distance equal to a radius counts as inside it
        index = np.arange(count)
        near_end = np.searchsorted(times, times + self.pos_radius + eps, side="right")  # partners < this
        beyond = np.searchsorted(times, times + self.neg_radius + eps, side="right")  # next pair from here on
        reach = pack_reach(near_end, beyond, self.num_pairs)
        pairs: list[tuple[int, int]] = []
        low = 0
        for remaining in range(self.num_pairs, 0, -1):
            rest = reach[remaining - 1]  # rest[j]: end of the tightest packing of the others from start j
            # First members from which this pair and the rest fit: the tightest partner is i + 1.
            partner_ok = (near_end > index + 1) & (index + 1 < count)
            fits = partner_ok & (rest[np.minimum(beyond[np.minimum(index + 1, count - 1)], count)] <= count)
            firsts = np.flatnonzero(fits[low:]) + low
            if firsts.size == 0:
                raise ShortVideoError(
                    record.num_frames,
                    self.min_num_frames,
                    f"an anchor with a positive within {self.pos_radius:g} {self.radius_unit}, in each of "
                    f"{self.num_pairs} pairs more than {self.neg_radius:g} {self.radius_unit} apart",
                )
            first = int(firsts[rng.integers(0, firsts.size)])
            partners = np.arange(first + 1, near_end[first])
            partners = partners[rest[np.minimum(beyond[partners], count)] <= count]
            second = int(partners[rng.integers(0, partners.size)])
            pair = (first, second) if rng.random() < 0.5 else (second, first)
            pairs.append((pair[0] + offset, pair[1] + offset))
            low = int(beyond[second])
        return pairs

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """``num_pairs`` anchor / positive views of one video (single frames or short clips)."""
        pairs = self.sample_pairs(record, rng)
        starts = [start for pair in pairs for start in pair]
        clips = clip_frames(
            record,
            starts,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            short_video=self.short_video,
        )
        views = tuple(
            ViewPlan("anchor" if i % 2 == 0 else "positive", frames, instance=i // 2)
            for i, frames in enumerate(clips)
        )
        return SamplePlan(record, views)

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Every view its own augmentation draw: the embedding must not depend on crop or colour."""
        return example_from_plan(plan, stack_views(views, plan))


def pack_reach(near_end: np.ndarray, beyond: np.ndarray, num_pairs: int) -> list[np.ndarray]:
    """``reach[m][j]``: the first free start after packing ``m`` pairs as tightly as possible from start ``j``
    on (``> count`` when they do not fit), for ``m = 0 … num_pairs``.

    One pair starting at ``i`` at its tightest is ``(i, i + 1)`` (valid when ``i + 1 < near_end[i]``) and
    frees
    the starts from ``beyond[i + 1]`` on; packing greedily from the left is optimal for such intervals, so
    ``reach[m]`` decides whether the remaining pairs still fit after a choice.
    """
    count = len(near_end)
    never = count + 1
    index = np.arange(count)
    one = np.full(count + 2, never, dtype=np.int64)  # one pair starting exactly at i (or ``never``)
    valid = (index + 1 < count) & (near_end > index + 1)
    one[:count][valid] = beyond[np.minimum(index + 1, count - 1)][valid]
    first_fit = np.minimum.accumulate(one[::-1])[::-1]  # one pair starting at i or later
    reach = [np.arange(count + 2, dtype=np.int64)]
    reach[0][count + 1] = never
    for _ in range(num_pairs):
        previous = reach[-1]
        reach.append(np.where(previous <= count, first_fit[np.minimum(previous, count + 1)], never))
    return reach


@PRETEXTS.register("time_contrastive")
class TimeContrastive(_TimeContrastiveSampler):
    """Single-view TCN sampling: pairs within ``pos_radius`` in one window, pairs ``neg_radius`` apart.

    Args:
        pos_radius: positives lie within this distance of the anchor (TCN: 6 frames ≈ 0.2 s at 29 fps).
        neg_radius: negatives lie farther than this (TCN: 12 frames); must exceed ``pos_radius``.
        radius_unit: ``frames`` or ``seconds`` (frame timestamps from the probe, or ``index / fps``);
            ``window`` is in the same unit.
        num_pairs: anchor / positive pairs per sample; each pair's frames are the other pairs' negatives.
        window: the pairs come from one random window of this length (TCN: its 36-frame batch run);
            ``None`` = the whole video.
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
        num_pairs: int = 3,
        window: float | None = None,
        num_frames_per_clip: int = 1,
        frame_stride: int = 1,
        short_video: ShortVideoPolicy = "skip",
    ) -> None:
        super().__init__(
            pos_radius=pos_radius,
            neg_radius=neg_radius,
            radius_unit=radius_unit,
            num_pairs=num_pairs,
            window=window,
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
        pos_radius, neg_radius, radius_unit, num_pairs, window, num_frames_per_clip, frame_stride,
            short_video: as for ``time_contrastive`` (defaults: neighbours within 1 frame, other pairs
            beyond 2).
    """

    name = "temporal_coherence"

    def __init__(
        self,
        *,
        pos_radius: float = 1,
        neg_radius: float = 2,
        radius_unit: RadiusUnit = "frames",
        num_pairs: int = 2,
        window: float | None = None,
        num_frames_per_clip: int = 1,
        frame_stride: int = 1,
        short_video: ShortVideoPolicy = "skip",
    ) -> None:
        super().__init__(
            pos_radius=pos_radius,
            neg_radius=neg_radius,
            radius_unit=radius_unit,
            num_pairs=num_pairs,
            window=window,
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
        """L1 pull on neighbours, hinge push to ``δ`` (``model.loss_options.margin``; 1.0, not confirmed)."""
        return ComponentSpec("coherence", {"margin": 1.0})
