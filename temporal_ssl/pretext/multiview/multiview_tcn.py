"""Multi-view TCN: the same instant seen by another camera is the positive (Sermanet et al., ICRA 2018).

Sampling rules of the released code (``research/tcn`` ``get_tcn_anchor_pos_indices``): pick a
window of the sequence (580 frames ≈ 20 s at 29 fps; the whole sequence if shorter), draw timesteps inside it
without replacement, and for each timestep two *different* cameras at random: the first camera's frame is the
anchor, the second's frame at the same instant the positive. Every other pair of the batch is a negative, so
the other timesteps of the same cameras — same background and viewpoint, different scene state — are the hard
negatives. The released pouring config draws 16 timesteps from one sequence per batch.

Synchronisation is by timestamp, not frame index: a camera's frame ``i`` shows scene time
``time(i) + offset_seconds`` (``CameraStream``), so cameras with different frame rates or start offsets still
give an anchor and a positive at one scene instant (within half a frame of the positive's camera). Timesteps
are drawn on the grid of the camera with the lowest frame rate inside the time span every camera covers, so
two timesteps are never the same instant.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from temporal_ssl.data.clip_sampling import ShortVideoError, clip_span
from temporal_ssl.errors import DatasetError
from temporal_ssl.pretext.adjacent.time_contrastive import tcn_embedding_head, tcn_triplet_loss
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.examples import example_from_plan, stack_views
from temporal_ssl.pretext.frame_times import frame_times_seconds, nearest_frames
from temporal_ssl.pretext.options import check_int, check_number
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Example, SamplePlan, VideoRecord, ViewPlan


@PRETEXTS.register("multiview_tcn")
class MultiViewTCN:
    """Anchor / positive pairs at one scene instant from two cameras; other instants are the negatives.

    Views: for each of ``num_timesteps`` timesteps, ``views_per_timestep`` views from distinct cameras (role
    ``anchor`` then ``positive``), all with instance id = the timestep's number; each view its own
    augmentation draw. Needs a synchronised multi-camera record (``VideoRecord.cameras``, e.g. the synthetic
    corpus rendered with several cameras, or the multicamera folder layout).

    Args:
        window_seconds: length of the window the timesteps come from (TCN: 580 frames ≈ 20 s).
        num_timesteps: timesteps per sample, drawn without replacement (TCN pouring: 16 per sequence).
        views_per_timestep: cameras per timestep (TCN: 2; more gives several positives per anchor).
        num_frames_per_clip: 1 = single frames as in TCN; more = short clips starting at the instant.
        frame_stride: frame step inside a clip.
    """

    name = "multiview_tcn"

    def __init__(
        self,
        *,
        window_seconds: float = 20.0,
        num_timesteps: int = 16,
        views_per_timestep: int = 2,
        num_frames_per_clip: int = 1,
        frame_stride: int = 1,
    ) -> None:
        check_number("window_seconds", window_seconds, minimum=0.0, exclusive_minimum=True)
        check_int("num_timesteps", num_timesteps, minimum=1)
        check_int("views_per_timestep", views_per_timestep, minimum=2)
        check_int("num_frames_per_clip", num_frames_per_clip, minimum=1)
        check_int("frame_stride", frame_stride, minimum=1)
        self.window_seconds = float(window_seconds)
        self.num_timesteps = num_timesteps
        self.views_per_timestep = views_per_timestep
        self.num_frames_per_clip = num_frames_per_clip
        self.frame_stride = frame_stride

    @property
    def min_num_frames(self) -> int:
        """Distinct timesteps each starting a whole clip."""
        return self.num_timesteps + clip_span(self.num_frames_per_clip, self.frame_stride) - 1

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """``num_timesteps`` instants × ``views_per_timestep`` cameras, synchronised by timestamp."""
        if record.num_cameras < self.views_per_timestep:
            raise DatasetError(
                f"'{record.path}' has {record.num_cameras} camera(s) but multiview_tcn needs "
                f"{self.views_per_timestep} synchronised cameras per timestep. Use a multi-camera dataset "
                "(the synthetic corpus with num_cameras >= 2, or a folder of scenes with one file per "
                "camera), or a single-camera pretext such as cvrl or rho_clips"
            )
        span = clip_span(self.num_frames_per_clip, self.frame_stride)
        streams = [record.camera(c) for c in range(record.num_cameras)]
        # Scene times at which each camera can start a whole clip.
        starts = [
            frame_times_seconds(s.metadata)[: max(s.metadata.num_frames - span + 1, 0)] + s.offset_seconds
            for s in streams
        ]
        if any(len(t) == 0 for t in starts):
            raise ShortVideoError(min(s.metadata.num_frames for s in streams), span, "a clip in every camera")
        common_lo = max(t[0] for t in starts)
        common_hi = min(t[-1] for t in starts)
        # The grid: the coarsest camera's start times inside the span every camera covers.
        coarse = int(np.argmin([s.metadata.fps for s in streams]))
        grid = starts[coarse][(starts[coarse] >= common_lo - 1e-9) & (starts[coarse] <= common_hi + 1e-9)]
        window = self._window(grid, rng)
        if len(window) < self.num_timesteps:
            raise ShortVideoError(
                len(window),
                self.num_timesteps,
                f"{self.num_timesteps} distinct timesteps seen by all {len(streams)} cameras",
            )
        instants = rng.choice(window, size=self.num_timesteps, replace=False)
        # Distinct random cameras per timestep: the first columns of a random permutation of each row.
        shuffled = np.argsort(rng.random((self.num_timesteps, len(streams))), axis=1)
        cameras = shuffled[:, : self.views_per_timestep]
        frames = np.empty_like(cameras)
        anchor_times = np.empty(self.num_timesteps)
        for camera in range(len(streams)):  # vectorised per camera, not per timestep
            rows = cameras[:, 0] == camera
            frames[rows, 0] = nearest_frames(starts[camera], instants[rows])
            anchor_times[rows] = starts[camera][frames[rows, 0]]
        for rank in range(1, self.views_per_timestep):
            for camera in range(len(streams)):
                rows = cameras[:, rank] == camera
                frames[rows, rank] = nearest_frames(starts[camera], anchor_times[rows])
        offsets = self.frame_stride * np.arange(self.num_frames_per_clip)
        views = [
            ViewPlan(
                "anchor" if rank == 0 else "positive",
                tuple(int(i) for i in frames[timestep, rank] + offsets),
                camera=int(cameras[timestep, rank]),
                instance=timestep,
            )
            for timestep in range(self.num_timesteps)
            for rank in range(self.views_per_timestep)
        ]
        return SamplePlan(record, tuple(views))

    def _window(self, grid: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The grid instants inside a random window of ``window_seconds`` (all when the span is shorter)."""
        if len(grid) == 0 or grid[-1] - grid[0] <= self.window_seconds:
            return grid
        last_start = int(np.searchsorted(grid, grid[-1] - self.window_seconds, side="right"))
        first = grid[int(rng.integers(0, last_start))]
        return grid[(grid >= first) & (grid <= first + self.window_seconds + 1e-9)]

    def make_example(
        self, views: Sequence[torch.Tensor], plan: SamplePlan, rng: np.random.Generator
    ) -> Example:
        """Stack the views (decode every camera at one ``size`` when their resolutions differ)."""
        return example_from_plan(plan, stack_views(views, plan))

    @property
    def head(self) -> ComponentSpec:
        """TCN's embedding: a fully connected layer (2048), then 32-d (L2-normalised by the loss)."""
        return tcn_embedding_head()

    @property
    def loss(self) -> ComponentSpec:
        """Triplet loss with semi-hard in-batch mining, margin 0.2 on squared Euclidean distances (TCN)."""
        return tcn_triplet_loss()
