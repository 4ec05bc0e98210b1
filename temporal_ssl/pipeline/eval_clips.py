"""Clips of labeled videos for evaluation (N clips × M crops per video) and for supervised training.

Evaluation (multi-view testing): :class:`EvalClipDataset` gives every video ``N`` uniformly spaced clips
(``clip_starts_uniform``: the first starts at frame 0, the last ends at the last frame) decoded in ONE
``get_frames`` call per video, resized (short side, at decode time) and cut into ``M`` spatial crops (centre,
or start/centre/end of the long side): ``clips`` float ``[N·M, C, T, H, W]``, view ``k = n·M + m`` being clip
``n``, crop ``m``. Videos shorter than a clip loop (``short_video``), so no test video is dropped; a video
that fails to decode is counted, written to ``bad_videos.jsonl`` and reported in the batch, never replaced.

Training and fine-tuning: :class:`LabeledClips` is a pretext-shaped sampler (one random clip, target = the
class label) for :func:`temporal_ssl.pipeline.build_loader`, so supervised runs get the same seeding,
sharding, exact resume, bad-video replacement, augmentation and GPU mode as pretraining.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from einops import rearrange
from torch.utils.data import DataLoader, Dataset

from temporal_ssl.data.clip_sampling import (
    ShortVideoPolicy,
    clip_span,
    clip_starts_uniform,
    clips_from_starts,
)
from temporal_ssl.data.record_table import RecordTable, shortest_cameras
from temporal_ssl.data.transforms import VideoEvalTransform
from temporal_ssl.errors import DatasetError, VideoDecodeError
from temporal_ssl.pipeline.bad_videos import BadVideoLog
from temporal_ssl.pipeline.dataset import decode_size_for
from temporal_ssl.pipeline.decode import decode_views
from temporal_ssl.pipeline.loader import seed_worker
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.clip_plans import random_clip_frames
from temporal_ssl.pretext.examples import example_from_plan, stack_views
from temporal_ssl.types import Example, SamplePlan, VideoRecord, ViewPlan

logger = logging.getLogger(__name__)


def uniform_clip_indices(num_frames: int, *, num_clips: int, num_frames_per_clip: int, frame_stride: int = 1,
                         short_video: ShortVideoPolicy = "loop") -> np.ndarray:
    """Frame indices ``[N, T]`` of the ``N`` evaluation clips of a video of ``num_frames`` frames."""
    starts = clip_starts_uniform(num_frames, num_clips=num_clips, num_frames_per_clip=num_frames_per_clip,
                                 frame_stride=frame_stride, short_video=short_video)
    return clips_from_starts(starts, num_frames_per_clip=num_frames_per_clip, frame_stride=frame_stride,
                             num_frames=num_frames, short_video=short_video)


@dataclass
class ClipSample:
    """The clips of one video: float ``[K, C, T, H, W]`` (``None`` when the video failed to decode)."""

    clips: torch.Tensor | None
    label: int
    video_index: int


@dataclass
class ClipBatch:
    """Collated :class:`ClipSample` s of the videos that decoded.

    Args:
        clips: float ``[B, K, C, T, H, W]``; ``K = N·M`` views per video.
        labels: int64 ``[B]`` (``-1`` for unlabeled videos).
        video_indices: int64 ``[B]`` (``VideoRecord.index``).
        failed_video_indices: videos of this batch that could not be decoded (left out of the tensors).
    """

    clips: torch.Tensor
    labels: torch.Tensor
    video_indices: torch.Tensor
    failed_video_indices: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return int(self.labels.shape[0])

    def to(self, device: torch.device | str, non_blocking: bool = False) -> ClipBatch:
        """The same batch on ``device``."""
        return ClipBatch(self.clips.to(device, non_blocking=non_blocking),
                         self.labels.to(device, non_blocking=non_blocking),
                         self.video_indices.to(device, non_blocking=non_blocking),
                         list(self.failed_video_indices))

    def pin_memory(self) -> ClipBatch:
        """Page-locked copy, called by ``DataLoader(pin_memory=True)``."""
        return ClipBatch(self.clips.pin_memory(), self.labels.pin_memory(), self.video_indices.pin_memory(),
                         list(self.failed_video_indices))


def collate_clips(samples: Sequence[ClipSample]) -> ClipBatch:
    """Stack the samples that decoded; the others are listed in ``failed_video_indices``."""
    good = [s for s in samples if s.clips is not None]
    failed = [s.video_index for s in samples if s.clips is None]
    clips = torch.stack([s.clips for s in good]) if good else torch.empty(0)  # type: ignore[misc]
    return ClipBatch(clips, torch.tensor([s.label for s in good], dtype=torch.long),
                     torch.tensor([s.video_index for s in good], dtype=torch.long), failed)


class EvalClipDataset(Dataset[ClipSample]):
    """``N`` uniform clips × ``M`` crops of every video, for multi-view testing and feature extraction.

    Args:
        records: labeled (or unlabeled, label ``-1``) videos.
        num_clips: ``N`` clips per video.
        num_frames_per_clip: ``T``.
        frame_stride: frame step inside a clip.
        transform: resize + crops + normalisation (``num_crops`` is ``M``); its ``resize`` happens at
            decode time.
        backend: decoding backend.
        short_video: policy for videos shorter than a clip (``loop`` or ``repeat_last``; ``skip`` would drop
            test videos and is refused).
        bad_videos: where decode failures are counted and written.
    """

    def __init__(self, records: Sequence[VideoRecord], *, num_clips: int = 10, num_frames_per_clip: int = 16,
                 frame_stride: int = 1, transform: VideoEvalTransform | None = None, backend: str = "auto",
                 short_video: ShortVideoPolicy = "loop", bad_videos: BadVideoLog | None = None) -> None:
        if short_video == "skip":
            raise DatasetError("evaluation clips need short_video='loop' or 'repeat_last': 'skip' would "
                               "leave test videos out of the score")
        if num_clips < 1 or num_frames_per_clip < 1 or frame_stride < 1:
            raise DatasetError(f"num_clips={num_clips}, num_frames_per_clip={num_frames_per_clip} and "
                               f"frame_stride={frame_stride} must all be >= 1")
        empty = np.flatnonzero(shortest_cameras(records) < 1)
        if len(empty):
            raise DatasetError(f"{len(empty)} video(s) have no frame, e.g. '{records[int(empty[0])].path}'; "
                               "rebuild the index")
        self.records = records if isinstance(records, RecordTable) else list(records)
        self.num_clips = num_clips
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.transform = transform if transform is not None else VideoEvalTransform()
        self.backend = backend
        self.short_video: ShortVideoPolicy = short_video
        self.bad_videos = bad_videos if bad_videos is not None else BadVideoLog(None)

    @property
    def views_per_video(self) -> int:
        """``K = N·M``."""
        return self.num_clips * self.transform.num_crops

    def __len__(self) -> int:
        return len(self.records)

    def plan(self, position: int) -> SamplePlan:
        """The clips of video ``position`` as a plan: one view per clip (role ``clip``, ``order`` = ``n``)."""
        record = self.records[position]
        indices = uniform_clip_indices(record.num_frames, num_clips=self.num_clips,
                                       num_frames_per_clip=self.num_frames_per_clip,
                                       frame_stride=self.frame_stride, short_video=self.short_video)
        views = tuple(ViewPlan("clip", tuple(int(i) for i in row), order=n) for n, row in enumerate(indices))
        return SamplePlan(record, views, record.label)

    def __getitem__(self, position: int) -> ClipSample:
        plan = self.plan(position)
        record = plan.record
        label = -1 if record.label is None else int(record.label)
        resize = self.transform.resize
        try:
            views = decode_views(plan, size=decode_size_for(record, resize), backend=self.backend)
        except VideoDecodeError as error:
            self.bad_videos.record(error, video_index=record.index, epoch=0, position=position, attempt=0,
                                   source=record)
            return ClipSample(None, label, record.index)
        crops = self.transform(torch.stack(views))  # [M, N, T, C, H, W]
        return ClipSample(rearrange(crops, "m n t c h w -> (n m) c t h w").contiguous(), label, record.index)


def build_eval_loader(dataset: EvalClipDataset, *, batch_size: int = 8, num_workers: int = 2, rank: int = 0,
                      world_size: int = 1, pin_memory: bool = True) -> DataLoader[ClipSample]:
    """Iterate ``dataset`` in corpus order as :class:`ClipBatch` es; rank ``r`` gets videos ``r, r + W, ...``.

    Every video is seen exactly once over all ranks (no tail is dropped: results are gathered by video index).
    """
    shard = list(range(rank, len(dataset), world_size))
    return DataLoader(dataset, batch_size=batch_size, sampler=shard, collate_fn=collate_clips,
                      num_workers=num_workers, worker_init_fn=seed_worker if num_workers else None,
                      pin_memory=pin_memory and torch.cuda.is_available(),
                      generator=torch.Generator().manual_seed(rank))


class LabeledClips:
    """Supervised clip sampling in the shape of a pretext: one random clip per video, target = its label.

    Use with :func:`temporal_ssl.pipeline.build_loader` (training augmentation comes from the loader); batches
    have ``views [B, 1, C, T, H, W]`` and ``target`` = class labels.

    Args:
        num_classes: classes of the labeled corpus (for the linear head).
        num_frames_per_clip: ``T``.
        frame_stride: frame step inside the clip.
        short_video: policy for videos shorter than a clip.
    """

    name = "labeled_clips"

    def __init__(self, *, num_classes: int, num_frames_per_clip: int = 16, frame_stride: int = 1,
                 short_video: ShortVideoPolicy = "loop") -> None:
        if num_classes < 1:
            raise DatasetError(f"num_classes={num_classes} must be >= 1")
        clip_span(num_frames_per_clip, frame_stride)  # validates both
        self.num_classes = num_classes
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride
        self.short_video: ShortVideoPolicy = short_video

    @property
    def min_num_frames(self) -> int:
        return clip_span(self.num_frames_per_clip, self.frame_stride)

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """One uniformly random clip of ``record``."""
        if record.label is None:
            raise DatasetError(f"'{record.path}' has no label; supervised clips need a labeled split")
        frames = random_clip_frames(record, rng, num_frames_per_clip=self.num_frames_per_clip,
                                    frame_stride=self.frame_stride, short_video=self.short_video)
        return SamplePlan(record, (ViewPlan("clip", frames),), int(record.label))

    def make_example(self, views: Sequence[torch.Tensor], plan: SamplePlan,
                     rng: np.random.Generator) -> Example:
        return example_from_plan(plan, stack_views(views, plan))

    @property
    def head(self) -> ComponentSpec:
        return ComponentSpec("linear", {"num_classes": self.num_classes})

    @property
    def loss(self) -> ComponentSpec:
        return ComponentSpec("cross_entropy", {})
