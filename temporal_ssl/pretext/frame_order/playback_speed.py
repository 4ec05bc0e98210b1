"""Playback speed: at which pace was this clip sampled? (Pace Prediction, Wang, Jiao, Liu, ECCV 2020).

Sampling rules of the released code (``laura-wang/video-pace`` ``datasets/ucf101.py``): a
stride ``s`` is drawn uniformly from ``{1, …, max_sr}`` (``max_sr = 4``) and the label is ``s − 1``; the start
frame is uniform over the whole video; when the next frame would run past the end the clip continues from the
first frame (``placement = "pace_wrap"``). ``placement = "inside"`` instead keeps every clip inside the video
(start uniform in ``[0, L − span(s)]``; a video too short for stride ``s`` follows ``short_video``).
``frame_strides`` generalises the classes: ``[1, 2]`` is SpeedNet's normal vs. sped-up task.

Pace jitters colour per frame; here the pipeline's augmentation draws once per clip (one group).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import torch

from temporal_ssl.data.clip_sampling import ShortVideoPolicy, clip_span
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.clip_plans import random_clip_frames
from temporal_ssl.pretext.examples import example_from_plan, stack_views
from temporal_ssl.pretext.options import check_choice, check_int, check_short_video, option_error
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Example, SamplePlan, VideoRecord, ViewPlan

Placement = Literal["pace_wrap", "inside"]


@PRETEXTS.register("playback_speed")
class PlaybackSpeed:
    """Classify a clip's frame stride among ``frame_strides``; target = the stride's position in the list.

    Args:
        num_frames_per_clip: frames of the clip (Pace: 16).
        frame_strides: the stride classes (Pace: ``[1, 2, 3, 4]``; SpeedNet: ``[1, 2]``).
        placement: ``pace_wrap`` (Pace's code: start anywhere, restart from frame 0 at the end) or ``inside``.
        short_video: with ``inside``, the policy for videos shorter than a clip at the drawn stride.
    """

    name = "playback_speed"

    def __init__(
        self,
        *,
        num_frames_per_clip: int = 16,
        frame_strides: Sequence[int] = (1, 2, 3, 4),
        placement: Placement = "pace_wrap",
        short_video: ShortVideoPolicy = "skip",
    ) -> None:
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=2)
        strides = list(frame_strides)
        if len(strides) < 2 or any(isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in strides):
            raise option_error("frame_strides", frame_strides, "must list at least two integer strides >= 1")
        if len(set(strides)) != len(strides):
            raise option_error("frame_strides", frame_strides, "must not repeat a stride (each is one class)")
        check_choice("placement", placement, ("pace_wrap", "inside"))
        check_short_video(short_video)
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_strides = tuple(strides)
        self.placement = placement
        self.short_video: ShortVideoPolicy = short_video

    @property
    def min_num_frames(self) -> int:
        """``pace_wrap`` works on any non-empty video; ``inside`` needs the clip at the largest stride."""
        if self.placement == "pace_wrap":
            return 1
        return clip_span(self.num_frames_per_clip, max(self.frame_strides))

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """One clip at a random stride class."""
        label = int(rng.integers(0, len(self.frame_strides)))
        stride = self.frame_strides[label]
        num_frames = record.num_frames
        if self.placement == "pace_wrap":
            frames = pace_wrap_indices(
                int(rng.integers(0, num_frames)), stride, self.num_frames_per_clip, num_frames
            )
        else:
            frames = random_clip_frames(
                record,
                rng,
                num_frames_per_clip=self.num_frames_per_clip,
                frame_stride=stride,
                short_video=self.short_video,
            )
        return SamplePlan(record, (ViewPlan("clip", frames),), label)

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        return example_from_plan(plan, stack_views(views, plan))

    @property
    def head(self) -> ComponentSpec:
        """A linear classifier over the stride classes."""
        return ComponentSpec("linear", {"num_classes": len(self.frame_strides)})

    @property
    def loss(self) -> ComponentSpec:
        return ComponentSpec("cross_entropy", {})


def pace_wrap_indices(start: int, stride: int, num_frames_per_clip: int, num_frames: int) -> tuple[int, ...]:
    """Pace's ``loop_load_rgb``: frames ``start, start + s, …``; when the next would pass the last frame, the
    clip continues from frame 0 with the same stride (0-based translation of the released 1-based code)."""
    frames, first, step = [], start, 0
    for _ in range(num_frames_per_clip):
        frames.append(first + step * stride)
        if first + (step + 1) * stride > num_frames - 1:
            first, step = 0, 0
        else:
            step += 1
    return tuple(frames)
