"""The ``tracking`` pretext: the first and last patch of a track are positives (Wang & Gupta, ICCV 2015).

The paper's idea: "two patches joined by a visual track probably show the same object or object part, so they
should be close in feature space". A sample holds ``tracks_per_sample`` tracks of one video; each track gives
an ``anchor`` view (its first patch, or a tube of ``tube_len`` patches along the track's start for 3D
encoders) and a ``positive`` view (its last patch or tube). Views of one track share an instance id; the other
tracks of the sample and every patch of the other samples in the batch are the negatives of the cosine triplet
loss, which draws ``num_negatives`` per pair at random and, after ``hard_mining_after_steps``, mines hard
ones. For 3D encoders, ``tube_box: fixed`` keeps the object's motion inside each tube and
``reversed_negatives`` adds each anchor played backwards (role ``reversed``) as a negative: without them a
tube of tracked patches holds a still object, and the embedding learns appearance only.

Two sources of tracks:

* **a track cache** (``tracks: path``, mined once by ``tools/mine_tracks.py``): ``plan`` picks tracks and
  plans exactly the patch frames with their boxes (``ViewPlan.boxes``, full-size pixels), so a sample decodes
  ``2 x tube_len`` frames per track and ``tools/visualize.py`` shows the boxes.
* **on the fly** (no cache, or a video the cache has no track for, with ``untracked_videos: mine``): ``plan``
  picks a window of ``track_length + 1`` frames where the video moves (``VideoMetadata.motion``) and plans one
  ``window`` view of every ``mine_frame_stride``-th frame; ``make_example`` mines and tracks on the decoded
  frames, then crops the patches. The example's views (anchor/positive patches) then differ from the planned
  view; :meth:`TrackingPretext.window_tracks` gives the mined tracks, so the visualize tool can draw them.
  When the window's query frame shows no acceptable motion, the best box is used anyway (or a random one in a
  static video). When the tracker loses the target, the positive is taken at the last frame it was still sure
  of; a track lost before that frame lies past the anchor tube is dropped, as the cache drops lost tracks,
  so an anchor is never its own positive. If every track of the window is lost, random boxes are tracked
  instead (``REMINE_ATTEMPTS``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F

from temporal_ssl.errors import ConfigError, DatasetError
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.pretext.examples import REVERSED_ROLE, append_reversed, example_from_plan
from temporal_ssl.pretext.motion import grey_frames, motion_weighted_starts
from temporal_ssl.pretext.tracking.correlation_tracker import track_forward
from temporal_ssl.pretext.tracking.patch_crops import crop_patches, enclosing_square, scale_box
from temporal_ssl.pretext.tracking.patch_miner import (
    box_side,
    camera_shifts,
    mine_frame,
    place_boxes,
    three_frame_energy,
)
from temporal_ssl.pretext.tracking.track_cache import TrackCache, load_tracks, video_key
from temporal_ssl.pretext.tracking.track_mining import Track, TrackMiningOptions, working_size
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import Box, Example, SamplePlan, VideoRecord, ViewPlan

logger = logging.getLogger(__name__)

WINDOW_ROLE = "window"
REMINE_ATTEMPTS = 8
"""Random boxes tried on the fly when every mined box of a window was lost before its positive tube."""


@dataclass(frozen=True)
class TrackTubes:
    """One track slot of an on-the-fly example: its instance id and the frames and boxes of both tubes."""

    instance: int
    anchor_frames: tuple[int, ...]
    anchor_boxes: tuple[Box, ...]
    positive_frames: tuple[int, ...]
    positive_boxes: tuple[Box, ...]


@PRETEXTS.register("tracking")
class TrackingPretext:
    """Patches joined by a track are positives; other tracks and videos are negatives (Wang & Gupta 2015).

    Args:
        tracks: a track cache from ``tools/mine_tracks.py``; ``None`` mines every sample on the fly.
        patch_size: side of the square patches in pixels (the paper feeds 227 x 227 to AlexNet; 112 suits
            this package's 3D encoders).
        tube_len: patches per view, taken along the track every ``tube_stride`` frames (1 = single patches
            for 2D encoders; e.g. 8 for 3D encoders).
        tube_stride: frames between the patches of a tube.
        tracks_per_sample: tracks per sample, each its own instance (more in-sample negatives). A video with
            fewer tracks repeats some; repeated views keep their track's instance id, so they are never
            negatives of themselves.
        track_length: frames from the first to the last patch when mining on the fly (the paper's 30); cached
            tracks keep the length they were mined with.
        min_track_score: drop cached tracks whose tracker score (weakest appearance similarity) is lower.
        untracked_videos: what to do with a video the cache has no track for: ``"mine"`` it on the fly, or
            ``"error"`` (raise ``DatasetError``).
        window_min_motion_percentile: on the fly, windows are drawn only among those at or above this
            percentile of window motion (0 = anywhere).
        window_motion_temperature: on the fly, windows are weighted by ``softmax(motion / mean / T)``
            (``None`` = no weighting; see :func:`~temporal_ssl.pretext.motion.motion_weighted_starts`). Videos
            probed without a motion profile get uniform windows.
        mine_frame_stride: on the fly, the tracker sees every k-th frame of the window (fewer frames to
            decode; must divide ``track_length`` and ``tube_stride``).
        miner: :class:`MinerOptions` for mining on the fly (box size, motion thresholds ...).
        tracker: :class:`TrackerOptions` for tracking on the fly.
        margin: triplet margin on the cosine distance (paper 0.5; the released prototxt uses 1).
        num_negatives: negatives per positive pair (the released code's ``neg_num = 4``).
        hard_mining_after_steps: random margin violators before this many steps, hard negatives after (the
            paper switches after ~150K of its 400K iterations; scale it to your run length).
        hard_ratio: share of the negatives taken among the hardest once mining is on (released: 0.5).
        embedding_dim: output width of the projection head (the paper's fc 1024, L2-normalised by the loss).
        hidden_dim: hidden width of the projection head (the paper's fc 4096).
        tube_box: ``"track"`` crops each patch of a tube at its frame's tracked box (the paper's patches,
            stacked: the object stays still in the tube); ``"fixed"`` crops the whole tube with one square
            window holding all its boxes, so the object's motion stays in the tube for a 3D encoder.
        reversed_negatives: add each anchor tube played backwards as a negative of its own (same crop and
            colour draw as the anchor), so matching a track's ends cannot ignore which way the object moves.
    """

    name = "tracking"

    def __init__(
        self,
        *,
        tracks: str | None = None,
        patch_size: int = 112,
        tube_len: int = 1,
        tube_stride: int = 1,
        tracks_per_sample: int = 1,
        track_length: int = 30,
        min_track_score: float | None = None,
        untracked_videos: Literal["mine", "error"] = "mine",
        window_min_motion_percentile: float = 0.0,
        window_motion_temperature: float | None = 1.0,
        mine_frame_stride: int = 1,
        miner: Mapping[str, Any] | None = None,
        tracker: Mapping[str, Any] | None = None,
        margin: float = 0.5,
        num_negatives: int = 4,
        hard_mining_after_steps: int = 150_000,
        hard_ratio: float = 0.5,
        embedding_dim: int = 1024,
        hidden_dim: int = 4096,
        tube_box: Literal["track", "fixed"] = "track",
        reversed_negatives: bool = False,
    ) -> None:
        where = "pretext"
        integers = {"patch_size": (patch_size, 8), "tube_len": (tube_len, 1), "tube_stride": (tube_stride, 1),
                    "tracks_per_sample": (tracks_per_sample, 1), "track_length": (track_length, 1),
                    "mine_frame_stride": (mine_frame_stride, 1), "num_negatives": (num_negatives, 1),
                    "embedding_dim": (embedding_dim, 1), "hidden_dim": (hidden_dim, 1),
                    "hard_mining_after_steps": (hard_mining_after_steps, 0)}
        for key, (value, least) in integers.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigError(f"{where}.{key} must be an integer >= {least}, got {value!r}")
        if (tube_len - 1) * tube_stride >= track_length:
            raise ConfigError(
                f"{where}: a tube of tube_len={tube_len} patches every tube_stride={tube_stride} frames "
                f"spans {(tube_len - 1) * tube_stride + 1} frames, which does not fit in "
                f"track_length={track_length} "
                "(the first and last tube would overlap); shorten the tube or lengthen the track")
        if track_length % mine_frame_stride or tube_stride % mine_frame_stride and tube_len > 1:
            raise ConfigError(f"{where}.mine_frame_stride={mine_frame_stride} must divide track_length="
                              f"{track_length} and tube_stride={tube_stride}")
        if untracked_videos not in ("mine", "error"):
            raise ConfigError(f"{where}.untracked_videos must be 'mine' or 'error', got {untracked_videos!r}")
        if not 0.0 <= window_min_motion_percentile < 100.0:
            raise ConfigError(f"{where}.window_min_motion_percentile must be within 0-100 (below 100), got "
                              f"{window_min_motion_percentile}")
        if window_motion_temperature is not None and window_motion_temperature <= 0:
            raise ConfigError(f"{where}.window_motion_temperature must be > 0 (or null for no weighting), "
                              "got "
                              f"{window_motion_temperature}")
        if margin <= 0:
            raise ConfigError(f"{where}.margin must be > 0, got {margin}")
        if tube_box not in ("track", "fixed"):
            raise ConfigError(f"{where}.tube_box must be 'track' or 'fixed', got {tube_box!r}")
        if reversed_negatives and tube_len < 2:
            raise ConfigError(f"{where}.reversed_negatives needs tubes (tube_len >= 2): a single patch has "
                              "no time order to reverse")
        if not 0.0 <= hard_ratio <= 1.0:
            raise ConfigError(f"{where}.hard_ratio must be within 0-1, got {hard_ratio}")
        mining = TrackMiningOptions.from_dict({"track_length": track_length,
                                               "frame_stride": mine_frame_stride,
                                               "miner": dict(miner or {}), "tracker": dict(tracker or {})},
                                              where=where)
        self.mining = mining
        self.patch_size = patch_size
        self.tube_len = tube_len
        self.tube_stride = tube_stride
        self.tracks_per_sample = tracks_per_sample
        self.tube_box = tube_box
        self.reversed_negatives = reversed_negatives
        self.min_track_score = min_track_score
        self.untracked_videos = untracked_videos
        self.window_min_motion_percentile = window_min_motion_percentile
        self.window_motion_temperature = window_motion_temperature
        self.cache: TrackCache | None = None if tracks is None else load_tracks(tracks)
        self._loss_options = {"distance": "cosine", "margin": margin, "mining": "hard",
                              "num_negatives": num_negatives,
                              "hard_ratio": hard_ratio, "hard_mining_after_steps": hard_mining_after_steps,
                              "symmetric": True, "normalize": True}
        self._head_options = {"out_dim": embedding_dim, "hidden_dim": hidden_dim, "num_layers": 2,
                              "batch_norm": False}
        self.roles = (tuple(role for _ in range(tracks_per_sample) for role in ("anchor", "positive"))
                      + (REVERSED_ROLE,) * (tracks_per_sample if reversed_negatives else 0))

    # ---- the Pretext protocol ------------------------------------------------------------------------------

    @property
    def min_num_frames(self) -> int:
        """Frames a video needs to hold one full-length window (shorter videos use the whole video)."""
        return self.mining.track_length + 1

    @property
    def head(self) -> ComponentSpec:
        """Projection MLP: the paper's fc 4096 + fc 1024 on top of the encoder's features."""
        return ComponentSpec("projection_mlp", dict(self._head_options))

    @property
    def loss(self) -> ComponentSpec:
        """Cosine triplet ranking loss, K negatives per pair, symmetric hinge, random then hard mining."""
        return ComponentSpec("triplet", dict(self._loss_options))

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """Patch views of cached tracks of ``record``, or one window to mine on the fly."""
        if self.cache is not None:
            candidates = cached_tracks(self.cache, record, min_span=(self.tube_len - 1) * self.tube_stride,
                                       min_score=self.min_track_score)
            if candidates:
                return self._plan_tracks(record, candidates, rng)
            if self.untracked_videos == "error":
                raise DatasetError(
                    f"track cache '{self.cache.path}' has no usable track for '{record.path}'; mine it with "
                    f"tools/mine_tracks.py --resume --out {self.cache.path}, or set "
                    "pretext.untracked_videos: mine")
        return self._plan_window(record, rng)

    def make_example(self, views: Sequence[torch.Tensor], plan: SamplePlan,
                     rng: np.random.Generator) -> Example:
        """Crop the planned patches (cache), or mine, track and crop them in the decoded window."""
        if len(views) != len(plan.views):
            raise ValueError(f"plan for '{plan.record.path}' has {len(plan.views)} views, got {len(views)}")
        if plan.views[0].role == WINDOW_ROLE:
            return self._example_from_window(views[0], plan, rng)
        patches = []
        for frames, view in zip(views, plan.views, strict=True):
            metadata = plan.record.camera(view.camera).metadata
            sx, sy = frames.shape[-1] / metadata.width, frames.shape[-2] / metadata.height
            boxes = [scale_box(box, sx, sy) for box in view.boxes or ()]
            patches.append(self._crop_tube(frames, boxes))
        return self._example(plan, patches, [v.instance for v in plan.views])

    # ---- planning ------------------------------------------------------------------------------------------

    def _plan_tracks(self, record: VideoRecord, candidates: list[tuple[int, Track]],
                     rng: np.random.Generator) -> SamplePlan:
        count = min(self.tracks_per_sample, len(candidates))
        picked = [int(i) for i in rng.choice(len(candidates), size=count, replace=False)]
        # Slots beyond the video's track count repeat a picked track and keep its instance id.
        slots = picked + [picked[int(i)] for i in rng.integers(0, count, size=self.tracks_per_sample - count)]
        views: list[ViewPlan] = []
        for slot, choice in enumerate(slots):
            camera, track = candidates[choice]
            instance = slots.index(choice) if slot >= count else slot
            anchor, positive = self._tube_frames(track.start, track.end)
            views.append(ViewPlan("anchor", anchor, camera, instance, boxes=track.boxes_at(anchor)))
            views.append(ViewPlan("positive", positive, camera, instance, boxes=track.boxes_at(positive)))
        return SamplePlan(record, tuple(views), None)

    def _tube_frames(self, start: int, end: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Frames of the tube at the start and of the tube ending at ``end``."""
        anchor = tuple(start + j * self.tube_stride for j in range(self.tube_len))
        positive = tuple(end - (self.tube_len - 1 - j) * self.tube_stride for j in range(self.tube_len))
        return anchor, positive

    def _plan_window(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        metadata = record.metadata
        stride, gap = self.mining.frame_stride, self.mining.miner.frame_gap
        length = min(self.mining.track_length, (metadata.num_frames - 1 - gap) // stride * stride)
        if length <= (self.tube_len - 1) * self.tube_stride:
            raise DatasetError(
                f"'{record.path}' has {metadata.num_frames} frames, too few for a track with two tubes of "
                f"{self.tube_len} patches every {self.tube_stride} frames; drop short videos from the index "
                f"(at least {self.min_num_frames} frames) or shorten pretext.tube_len")
        # The window opens with the motion check's earlier frame; the query frame (first patch) is ``gap``
        # later.
        first = int(motion_weighted_starts(metadata.motion, gap + length + 1, 1, rng,
                                           num_frames=metadata.num_frames,
                                           min_percentile=self.window_min_motion_percentile,
                                           temperature=self.window_motion_temperature)[0])
        query = first + gap
        frames = {first, query + min(gap, length), *range(query, query + length + 1, stride)}
        return SamplePlan(record, (ViewPlan(WINDOW_ROLE, tuple(sorted(frames)), 0, 0),), None)

    # ---- mining on the fly ---------------------------------------------------------------------------------

    def _example_from_window(self, frames: torch.Tensor, plan: SamplePlan,
                             rng: np.random.Generator) -> Example:
        row = {f: i for i, f in enumerate(plan.views[0].frame_indices)}
        views, ids = [], []
        for track in self.window_tracks(frames, plan, rng):
            for view_frames, view_boxes in ((track.anchor_frames, track.anchor_boxes),
                                            (track.positive_frames, track.positive_boxes)):
                views.append(self._crop_tube(frames[[row[f] for f in view_frames]], view_boxes))
                ids.append(track.instance)
        return self._example(plan, views, ids)

    def window_tracks(self, frames: torch.Tensor, plan: SamplePlan, rng: np.random.Generator
                      ) -> list[TrackTubes]:
        """The tracks mined on the fly in a decoded window, one per track slot of the example.

        ``frames`` is the decoded ``window`` view of ``plan``; boxes are in its pixels. ``make_example`` crops
        its patches from exactly these tracks, so calling this with a generator in the same state as the one
        ``make_example`` gets shows what the model is fed.
        """
        indices = plan.views[0].frame_indices
        stride, gap = self.mining.frame_stride, self.mining.miner.frame_gap
        query = indices[0] + gap  # see _plan_window
        tracked = [f for f in indices if f >= query and (f - query) % stride == 0]
        grey, scale = _mining_grey(frames, self.mining.max_width, self.mining.max_height)
        row = {f: i for i, f in enumerate(indices)}
        following = grey[row[min(query + gap, tracked[-1])]]
        sequence = [grey[row[f]] for f in tracked]
        tubes: list[tuple[list[int], list[Box], list[int], list[Box]]] = []
        for box in self._query_boxes(grey[row[indices[0]]], grey[row[query]], following, rng):
            tube = self._track_tube(sequence, tracked, box)
            if tube is not None:
                tubes.append(tube)
        if not tubes:  # every track was lost at once: re-mine at random places until one holds
            tubes.append(self._remine(sequence, tracked, rng))
        tracks = []
        for slot in range(self.tracks_per_sample):
            instance = slot if slot < len(tubes) else int(rng.integers(0, len(tubes)))
            anchor_frames, anchor_boxes, positive_frames, positive_boxes = tubes[instance]
            tracks.append(TrackTubes(
                instance,
                tuple(anchor_frames), tuple(scale_box(b, scale[0], scale[1]) for b in anchor_boxes),
                tuple(positive_frames), tuple(scale_box(b, scale[0], scale[1]) for b in positive_boxes)))
        return tracks

    def _track_tube(self, sequence: Sequence[np.ndarray], tracked: list[int], box: Box
                    ) -> tuple[list[int], list[Box], list[int], list[Box]] | None:
        """Anchor and positive tubes of the track from ``box``, or ``None`` when the tracker lost the target
        before the positive could differ from the anchor."""
        result = track_forward(sequence, box, self.mining.tracker)
        confident = len(result.boxes) - (1 if result.lost_at is not None else 0)
        return self._window_tubes(tracked, result.boxes[:confident].tolist())

    def _remine(self, sequence: Sequence[np.ndarray], tracked: list[int], rng: np.random.Generator
                ) -> tuple[list[int], list[Box], list[int], list[Box]]:
        """A track from random boxes of the query frame, tried up to ``REMINE_ATTEMPTS`` times.

        Reached only when every mined box was lost early. A random box of a still region keeps its appearance
        and is tracked to the end; if even those are lost, the last box stays where it was (a still patch
        later in time, never the anchor's own frames).
        """
        height, width = sequence[0].shape
        side = box_side(height, width, self.mining.miner.box_size)
        for _ in range(REMINE_ATTEMPTS):
            x0, y0 = float(rng.integers(0, width - side + 1)), float(rng.integers(0, height - side + 1))
            box = (x0, y0, x0 + side, y0 + side)
            tube = self._track_tube(sequence, tracked, box)
            if tube is not None:
                return tube
        logger.debug("every track of the window was lost; pairing a still box with itself later in time")
        held = self._window_tubes(tracked, [list(box)] * len(tracked))
        assert held is not None  # a full-length track always reaches past the anchor tube
        return held
    # ---- patches -------------------------------------------------------------------------------------------

    def _crop_tube(self, frames: torch.Tensor, boxes: Sequence[Box]) -> torch.Tensor:
        """A tube's patches: each frame's tracked box, or (``tube_box: fixed``) one window for them all."""
        if self.tube_box == "fixed":
            boxes = [enclosing_square(boxes)] * len(boxes)
        return crop_patches(frames, boxes, self.patch_size)

    def _example(self, plan: SamplePlan, tubes: Sequence[torch.Tensor], ids: Sequence[int]) -> Example:
        """``anchor, positive`` tubes per track, then (``reversed_negatives``) each anchor played backwards.

        A reversed anchor is an instance of its own, so it is a negative of every view, and it shares its
        anchor's augmentation draw: only the order of its frames tells the two apart.
        """
        views, ids, groups = torch.stack(list(tubes)), list(ids), list(range(len(tubes)))
        if self.reversed_negatives:
            views, ids, groups = append_reversed(views, ids, sources=range(0, 2 * self.tracks_per_sample, 2))
        return example_from_plan(plan, views, roles=self.roles, instance_ids=ids,
                                 augment_groups=groups)

    def _query_boxes(self, previous: np.ndarray, current: np.ndarray, following: np.ndarray,
                     rng: np.random.Generator) -> list[Box]:
        """Up to ``tracks_per_sample`` boxes to track; never empty (see the module docstring's fallbacks)."""
        options = self.mining.miner
        wanted = max(options.num_boxes, self.tracks_per_sample)
        mined = mine_frame(previous, current, following, options)
        boxes = list(mined.boxes[:wanted])
        if len(boxes) < wanted:
            shifts = camera_shifts(previous, current, following) if options.compensate_translation else None
            energy = three_frame_energy(previous, current, following,
                                        **({"shifts": shifts} if shifts else {}))
            side = box_side(current.shape[0], current.shape[1], options.box_size)
            extra, _ = place_boxes(energy, side, wanted, 0.0)
            boxes += [b for b in extra if b not in boxes][:wanted - len(boxes)]
        if not boxes:
            side = box_side(current.shape[0], current.shape[1], options.box_size)
            x0 = float(rng.integers(0, current.shape[1] - side + 1))
            y0 = float(rng.integers(0, current.shape[0] - side + 1))
            boxes = [(x0, y0, x0 + side, y0 + side)]
            logger.debug("no motion in the query frame; tracking a random box")
        return boxes

    def _window_tubes(self, tracked: list[int], boxes: list[list[float]]
                      ) -> tuple[list[int], list[Box], list[int], list[Box]] | None:
        """Anchor and positive tubes along the confident part of a track (``boxes[i]`` at ``tracked[i]``).

        The positive tube ends at the last confident frame. A track lost before it reaches past the anchor
        tube's last frame gives ``None``: its positive would be the anchor itself, which teaches nothing.
        """
        if not boxes:
            return None
        anchor, positive = self._tube_frames(tracked[0], tracked[len(boxes) - 1])
        if positive[-1] <= anchor[-1]:
            return None
        by_frame: dict[int, Box] = {f: (b[0], b[1], b[2], b[3]) for f, b in zip(tracked, boxes, strict=False)}
        return list(anchor), [by_frame[f] for f in anchor], list(positive), [by_frame[f] for f in positive]


def cached_tracks(cache: TrackCache, record: VideoRecord, *, min_span: int = 0,
                  min_score: float | None = None) -> list[tuple[int, Track]]:
    """Usable cached tracks of every camera of ``record`` as ``(camera, track)``, in that camera's pixels.

    A track is usable when it ends inside the video as probed now, spans more than ``min_span`` frames and
    scores at least ``min_score``; boxes are rescaled when the cache saw the video at another size.
    """
    usable: list[tuple[int, Track]] = []
    for camera in range(record.num_cameras):
        metadata = record.camera(camera).metadata
        entry = cache.videos.get(video_key(metadata.path))
        if entry is None or entry.error is not None:
            continue
        sx, sy = metadata.width / max(entry.width, 1), metadata.height / max(entry.height, 1)
        for track in entry.tracks:
            if track.end >= metadata.num_frames or track.end - track.start <= min_span:
                continue
            if min_score is not None and track.score < min_score:
                continue
            if (sx, sy) != (1.0, 1.0):
                boxes = tuple(scale_box(b, sx, sy) for b in track.boxes)
                track = Track(track.video, track.frame_indices, boxes, track.score, track.motion_share)
            usable.append((camera, track))
    return usable


def _mining_grey(frames: torch.Tensor, max_width: int, max_height: int
                 ) -> tuple[np.ndarray, tuple[float, float]]:
    """Grey frames at no more than the working resolution, and the factors back to ``frames`` pixels."""
    height, width = frames.shape[-2:]
    small_height, small_width = working_size(width, height, max_width, max_height)
    if (small_height, small_width) != (height, width):
        frames = F.interpolate(frames.float(), size=(small_height, small_width), mode="area")
    return grey_frames(frames), (width / small_width, height / small_height)
