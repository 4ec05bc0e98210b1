"""Shuffle and Learn: is a tuple of three frames in temporal order? (Misra, Zitnick, Hebert, ECCV 2016).

Sampling rules: five frames ``a < b < c < d < e`` are drawn from one high-motion window. The positive tuple is
``(b, c, d)`` or its reverse ``(d, c, b)`` — an order and its reverse both count as "in order" — and the
negatives are ``(b, a, d)`` and ``(b, e, d)``, whose middle frame lies outside ``[b, d]``. Negatives are shown
reversed half of the time too (``(d, a, b)``, ``(d, e, b)``): otherwise a tuple whose first frame is later
than its last would always be a positive, and the direction of time alone would give the label away.
``τ_max = |b − d|`` bounds how far apart the positive's outer frames are (``max_positive_gap``) and
``τ_min = min(|a − b|, |d − e|)`` how close a negative's odd frame may come to them (``min_negative_gap``);
the paper's values are reported as τ_max = 60 and τ_min = 15 frames (not confirmed from its text), and 25 %
positives worked best in its ablation.

The near-duplicate guard of re-implementations (reject a tuple whose frames are nearly identical, or a
shuffled tuple is indistinguishable from an ordered one) needs pixels, which a plan does not have. It runs on
the probe's motion profile instead: ``min_frame_change`` is the least summed motion energy (mean absolute
grey-level difference, ``VideoMetadata.motion``) between consecutive frames of ``a..e``; tuples below it are
redrawn up to ``MAX_GUARD_RETRIES`` times, then the last draw is kept. Without a profile the guard and the
motion-weighted window are off (uniform windows).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import torch

from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.examples import example_from_plan, stack_views
from temporal_ssl.pretext.frame_order.windows import motion_window_start
from temporal_ssl.pretext.options import check_int, check_motion, check_number, option_error
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Example, SamplePlan, VideoRecord, ViewPlan

logger = logging.getLogger(__name__)

MAX_GUARD_RETRIES = 30
"""Draws tried before a tuple failing ``min_frame_change`` is accepted anyway."""


@PRETEXTS.register("shuffle_and_learn")
class ShuffleAndLearn:
    """Binary order verification of three single frames; target 1 = in order (either direction), 0 = shuffled.

    Views: three frames (``T = 1``) in the order shown, ``order`` = each frame's rank in time. All three share
    one augmentation draw (``augment_groups = (0, 0, 0)``): a common crop keeps the displacement between
    frames, the very signal the task is about, while independent crops would add fake motion.

    Args:
        max_positive_gap: ``τ_max``, the largest ``d − b`` in frames (reported: 60).
        min_negative_gap: ``τ_min``, the smallest ``b − a`` and ``e − d`` in frames (reported: 15).
        positive_fraction: share of in-order tuples (paper's best: 0.25).
        window_frames: length of the window the five frames come from; ``None`` = ``max_positive_gap +
            2 · min_negative_gap + 1``, the shortest window in which every allowed gap fits. A shorter video
            is its own window.
        motion_min_percentile: windows below this percentile of window motion are never used (0 = off).
        motion_temperature: softmax temperature favouring moving windows (``None`` = off).
        min_frame_change: motion-profile guard against near-identical frames (0 = off; see module docstring).
    """

    name = "shuffle_and_learn"

    def __init__(
        self,
        *,
        max_positive_gap: int = 60,
        min_negative_gap: int = 15,
        positive_fraction: float = 0.25,
        window_frames: int | None = None,
        motion_min_percentile: float = 50.0,
        motion_temperature: float | None = None,
        min_frame_change: float = 0.0,
    ) -> None:
        check_int("max_positive_gap", max_positive_gap, minimum=2)
        check_int("min_negative_gap", min_negative_gap, minimum=1)
        check_number("positive_fraction", positive_fraction, minimum=0.0, maximum=1.0)
        check_motion(motion_min_percentile, motion_temperature)
        check_number("min_frame_change", min_frame_change, minimum=0.0)
        least_window = 2 * min_negative_gap + 3
        if window_frames is None:
            window_frames = max_positive_gap + 2 * min_negative_gap + 1
        else:
            check_int("window_frames", window_frames, minimum=1)
            if window_frames < least_window:
                raise option_error(
                    "window_frames",
                    window_frames,
                    f"is too short for min_negative_gap={min_negative_gap}: five frames with "
                    f"b - a >= {min_negative_gap} and e - d >= {min_negative_gap} need at least "
                    f"{least_window} frames",
                )
        self.max_positive_gap = max_positive_gap
        self.min_negative_gap = min_negative_gap
        self.positive_fraction = float(positive_fraction)
        self.window_frames = window_frames
        self.motion_min_percentile = float(motion_min_percentile)
        self.motion_temperature = motion_temperature
        self.min_frame_change = float(min_frame_change)

    @property
    def min_num_frames(self) -> int:
        """Five frames with both negative gaps: ``2 · min_negative_gap + 3``."""
        return 2 * self.min_negative_gap + 3

    def sample_frames(self, record: VideoRecord, rng: np.random.Generator) -> tuple[int, int, int, int, int]:
        """The five frames ``a < b < c < d < e`` (with the motion guard applied when a profile exists)."""
        motion = record.metadata.motion
        guarded = self.min_frame_change > 0 and motion is not None
        cumulative = np.concatenate([[0.0], np.cumsum(motion)]) if motion is not None and guarded else None
        for _ in range(MAX_GUARD_RETRIES if guarded else 1):
            frames = self._draw(record, rng)
            if cumulative is None:
                return frames
            # Motion between frames i < j: sum of the profile over i+1..j (the profile holds the change into
            # each frame), a cheap upper bound of how much frame j differs from frame i.
            changes = cumulative[np.array(frames[1:]) + 1] - cumulative[np.array(frames[:-1]) + 1]
            if changes.min() >= self.min_frame_change:
                return frames
        logger.debug(
            "'%s': no tuple passed min_frame_change=%s in %d draws; using the last",
            record.path,
            self.min_frame_change,
            MAX_GUARD_RETRIES,
        )
        return frames

    def _draw(self, record: VideoRecord, rng: np.random.Generator) -> tuple[int, int, int, int, int]:
        window = min(self.window_frames, record.num_frames)
        start = motion_window_start(
            record,
            window,
            rng,
            min_percentile=self.motion_min_percentile,
            temperature=self.motion_temperature,
            short_video="skip",
        )
        tau = self.min_negative_gap
        gap = int(rng.integers(2, min(self.max_positive_gap, window - 1 - 2 * tau) + 1))
        b = start + tau + int(rng.integers(0, window - 2 * tau - gap))
        d = b + gap
        c = int(rng.integers(b + 1, d))
        a = int(rng.integers(start, b - tau + 1))
        e = int(rng.integers(d + tau, start + window))
        return a, b, c, d, e

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """Three frames in order (target 1) or shuffled (target 0), either shown reversed half of the time."""
        if record.num_frames < self.min_num_frames:
            raise ShortVideoError(record.num_frames, self.min_num_frames, "a Shuffle & Learn tuple")
        a, b, c, d, e = self.sample_frames(record, rng)
        if rng.random() < self.positive_fraction:
            shown = (b, c, d) if rng.random() < 0.5 else (d, c, b)
            target = 1
        else:
            shown = (b, a, d) if rng.random() < 0.5 else (b, e, d)
            if rng.random() < 0.5:  # else every tuple whose first frame is the later one is a positive
                shown = shown[::-1]
            target = 0
        ranks = np.argsort(np.argsort(shown))
        views = tuple(
            ViewPlan("frame", (frame,), order=int(rank)) for frame, rank in zip(shown, ranks, strict=True)
        )
        return SamplePlan(record, views, target)

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Stack the three frames; one augmentation group for the tuple."""
        return example_from_plan(plan, stack_views(views, plan), augment_groups=(0, 0, 0))

    @property
    def head(self) -> ComponentSpec:
        """S&L's fc8: one linear layer on the three concatenated frame features (2 classes, dropout 0.5)."""
        return ComponentSpec("order_concat", {"num_views": 3, "num_classes": 2, "dropout": 0.5})

    @property
    def loss(self) -> ComponentSpec:
        """Softmax cross-entropy over {shuffled, ordered}."""
        return ComponentSpec("cross_entropy", {})
