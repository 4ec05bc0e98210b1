"""VCOP, Video Clip Order Prediction: which permutation shuffled these clips? (Xu et al., CVPR 2019).

Sampling rules, as in the released code: ``n`` clips (``tl`` = 3) of ``num_frames_per_clip``
frames (``cl`` = 16) with ``clip_gap_frames`` frames (``it`` = 8) between consecutive clips, so a tuple spans
``cl·n + it·(n−1)`` frames (64) at stride 1; the tuple start is uniform in ``[0, L − span]``; clip ``k``
starts at ``start + k·(span_clip + it)``; the clips are shuffled uniformly and the target is the index of the
resulting order in ``itertools.permutations(range(n))`` (0 = identity). VCOP lists only videos long enough for
a tuple, hence ``short_video = "skip"`` by default.

Fusion: ``pairwise`` is the paper's network (each clip encoded alone, the order head fuses every clip pair);
``joint`` concatenates the shuffled clips in time into one view of ``n · cl`` frames encoded in one pass with
a linear head over the ``n!`` classes — the "clip shuffle" variant that was the best order pretext on the
synthetic corpus in a prototype. The plan has ``n`` clip views either way (so visualisation and JSON show the
clips);
:meth:`ClipOrderPrediction.make_example` does the concatenation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from temporal_ssl.data.clip_sampling import ShortVideoPolicy, clip_span, clip_starts_consecutive
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.clip_plans import clip_frames
from temporal_ssl.pretext.examples import example_from_plan, stack_views
from temporal_ssl.pretext.frame_order.permutations import permutation_to_label
from temporal_ssl.pretext.frame_order.windows import motion_window_start
from temporal_ssl.pretext.options import check_choice, check_int, check_motion, check_short_video
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Example, SamplePlan, VideoRecord, ViewPlan

Fusion = Literal["pairwise", "joint"]


@PRETEXTS.register("vcop")
class ClipOrderPrediction:
    """Classify the permutation of ``n`` shuffled, non-overlapping clips into ``n!`` classes.

    Views (pairwise): ``n`` clips in the order shown, ``order`` = each clip's position in time, role ``clip``;
    each clip is its own augmentation group, as VCOP draws one crop per clip independently. Joint: one view
    ``shuffled_clips`` of ``n · num_frames_per_clip`` frames and one augmentation draw.

    Args:
        num_clips: ``n`` (VCOP: 3).
        num_frames_per_clip: frames per clip (VCOP: 16).
        frame_stride: frame step inside a clip (VCOP: 1).
        clip_gap_frames: frames between one clip's last frame and the next clip's first (VCOP: 8).
        fusion: ``pairwise`` (VCOP's order head) or ``joint`` (clips concatenated in time, linear head).
        motion_min_percentile, motion_temperature: favour moving tuples (VCOP: uniform, i.e. 0 and ``None``).
        short_video: policy for videos shorter than the tuple (``skip``, ``loop``, ``repeat_last``; with the
            latter two, the wrapped or frozen part of a short video carries a weaker order signal).
    """

    name = "vcop"

    def __init__(
        self,
        *,
        num_clips: int = 3,
        num_frames_per_clip: int = 16,
        frame_stride: int = 1,
        clip_gap_frames: int = 8,
        fusion: Fusion = "pairwise",
        motion_min_percentile: float = 0.0,
        motion_temperature: float | None = None,
        short_video: ShortVideoPolicy = "skip",
    ) -> None:
        check_int("num_clips", num_clips, minimum=2)
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=1)
        check_int("frame_stride", frame_stride, minimum=1)
        check_int("clip_gap_frames", clip_gap_frames, minimum=0)
        check_choice("fusion", fusion, ("pairwise", "joint"))
        check_motion(motion_min_percentile, motion_temperature)
        check_short_video(short_video)
        self.num_clips = num_clips
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.clip_gap_frames = clip_gap_frames
        self.fusion = fusion
        self.motion_min_percentile = float(motion_min_percentile)
        self.motion_temperature = motion_temperature
        self.short_video: ShortVideoPolicy = short_video
        self.num_classes = math.factorial(num_clips)

    @property
    def tuple_span(self) -> int:
        """Frames a tuple covers: ``n · clip_span + clip_gap_frames · (n − 1)``."""
        return self.num_clips * clip_span(
            self.num_frames_per_clip, self.frame_stride
        ) + self.clip_gap_frames * (self.num_clips - 1)

    @property
    def min_num_frames(self) -> int:
        return self.tuple_span

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """``n`` consecutive clips of one tuple, shown in a uniformly random order; target = its rank."""
        start = motion_window_start(
            record,
            self.tuple_span,
            rng,
            min_percentile=self.motion_min_percentile,
            temperature=self.motion_temperature,
            short_video=self.short_video,
        )
        starts = clip_starts_consecutive(
            start,
            num_clips=self.num_clips,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            clip_gap_frames=self.clip_gap_frames,
        )
        clips = clip_frames(
            record,
            starts,
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            short_video=self.short_video,
        )
        perm = tuple(int(p) for p in rng.permutation(self.num_clips))
        views = tuple(ViewPlan("clip", clips[k], order=k) for k in perm)
        return SamplePlan(record, views, permutation_to_label(perm))

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Pairwise: the clips as views. Joint: the clips concatenated in time into one view."""
        stacked = stack_views(views, plan)  # [n, T, C, H, W]
        if self.fusion == "pairwise":
            return example_from_plan(plan, stacked)
        joined = stacked.reshape(1, -1, *stacked.shape[2:])  # clips one after another in shown order
        return example_from_plan(plan, joined, roles=("shuffled_clips",), instance_ids=(0,))

    @property
    def head(self) -> ComponentSpec:
        """Pairwise: VCOP's order head (pair fc 512, dropout 0.5, ``n!`` logits). Joint: a linear head."""
        if self.fusion == "joint":
            return ComponentSpec("linear", {"num_classes": self.num_classes})
        return ComponentSpec(
            "order_pairwise",
            {"num_views": self.num_clips, "num_classes": self.num_classes, "hidden_dim": 512, "dropout": 0.5},
        )

    @property
    def loss(self) -> ComponentSpec:
        """Softmax cross-entropy over the ``n!`` permutations."""
        return ComponentSpec("cross_entropy", {})
