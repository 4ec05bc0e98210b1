"""Arrow of time: is this clip playing forwards or backwards? (Wei, Lim, Zisserman, Freeman, CVPR 2018).

Sampling rule: one clip, shown either in its recorded order or reversed, target 1 when
reversed. The reversal is done on the *frame indices* of the plan, so decoding is the same sorted pass either
way and no codec artefact of the decoding order can leak into the example. The paper feeds optical flow and
removes cues that give the direction away (black borders, camera motion, fades); here the input is RGB, and
the synthetic corpus is built so that only object motion carries the arrow: its objects accelerate, its
distractors slow down, and its frames carry no codec or brightness drift that would show the direction.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from temporal_ssl.data.clip_sampling import ShortVideoPolicy, clip_span
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.clip_plans import clip_frames
from temporal_ssl.pretext.examples import example_from_plan, stack_views
from temporal_ssl.pretext.frame_order.windows import motion_window_start
from temporal_ssl.pretext.options import check_int, check_motion, check_number, check_short_video
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Example, SamplePlan, VideoRecord, ViewPlan


@PRETEXTS.register("arrow_of_time")
class ArrowOfTime:
    """Binary forward (0) / reversed (1) classification of one clip.

    Args:
        num_frames_per_clip: frames of the clip.
        frame_stride: frame step inside the clip.
        reverse_probability: chance that a clip is shown reversed (0.5 keeps the classes balanced).
        motion_min_percentile, motion_temperature: favour moving clips (0 and ``None`` = uniform start).
        short_video: policy for videos shorter than the clip (``repeat_last`` freezes the end, which a model
            can read as a direction cue; ``skip`` is the safe default).
    """

    name = "arrow_of_time"

    def __init__(
        self,
        *,
        num_frames_per_clip: int = 16,
        frame_stride: int = 1,
        reverse_probability: float = 0.5,
        motion_min_percentile: float = 0.0,
        motion_temperature: float | None = None,
        short_video: ShortVideoPolicy = "skip",
    ) -> None:
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=2)
        check_int("frame_stride", frame_stride, minimum=1)
        check_number("reverse_probability", reverse_probability, minimum=0.0, maximum=1.0)
        check_motion(motion_min_percentile, motion_temperature)
        check_short_video(short_video)
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.reverse_probability = float(reverse_probability)
        self.motion_min_percentile = float(motion_min_percentile)
        self.motion_temperature = motion_temperature
        self.short_video: ShortVideoPolicy = short_video

    @property
    def min_num_frames(self) -> int:
        return clip_span(self.num_frames_per_clip, self.frame_stride)

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """One clip; its index order is reversed with ``reverse_probability`` (target 1)."""
        start = motion_window_start(
            record,
            self.min_num_frames,
            rng,
            min_percentile=self.motion_min_percentile,
            temperature=self.motion_temperature,
            short_video=self.short_video,
        )
        (frames,) = clip_frames(
            record,
            [start],
            num_frames_per_clip=self.num_frames_per_clip,
            frame_stride=self.frame_stride,
            short_video=self.short_video,
        )
        reverse = bool(rng.random() < self.reverse_probability)
        return SamplePlan(record, (ViewPlan("clip", frames[::-1] if reverse else frames),), int(reverse))

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """The clip as the only view (already in the planned order)."""
        return example_from_plan(plan, stack_views(views, plan))

    @property
    def head(self) -> ComponentSpec:
        """A linear classifier over {forward, reversed}."""
        return ComponentSpec("linear", {"num_classes": 2})

    @property
    def loss(self) -> ComponentSpec:
        return ComponentSpec("cross_entropy", {})
