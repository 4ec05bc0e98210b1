"""The training dataset: one sample = plan → one decode per camera → example → augmentation.

Every sample draws from its own numpy generator seeded by ``(seed, epoch, position)`` (the sampler's
:class:`~temporal_ssl.pipeline.video_sampler.SampleKey`), so the stream is the same whatever the number of
workers or their scheduling, and the global random state is never touched.

Videos too short for the pretext are dropped before the first epoch and counted (:func:`keep_long_enough`);
a plan that still finds its video too short raises a ``ShortVideoError`` naming the video, what the pretext
needs and the remedy that pretext offers (:func:`short_video_remedy`).

A video that fails to decode (``VideoDecodeError``, and only that) is counted, logged at warning, appended to
``bad_videos.jsonl`` and replaced by a video drawn from the sample's own replacement generator, so the
replacement is deterministic too. Attempt ``k`` of a sample plans with a generator seeded by
``(seed, epoch, position, k)``: the result depends only on which videos failed, never on what a worker
happened to remember. A file that failed in an earlier epoch or run is replaced without decoding it again, by
the same draw (see :mod:`temporal_ssl.pipeline.bad_videos`), and a decode that outlives ``decode_timeout_s``
(a file hanging the decoder, even inside C code) fails like a bad file (see
:mod:`temporal_ssl.pipeline.watchdog`). After ``max_consecutive_failures`` failures in a row the
sample gives up with a ``DatasetError``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace
from functools import partial

import numpy as np
import torch
from torch.utils.data import Dataset

from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.data.record_table import select_records, shortest_cameras
from temporal_ssl.data.transforms import AugmentParams, VideoAugmentation
from temporal_ssl.data.transforms.functional import short_side_size
from temporal_ssl.errors import ConfigError, DatasetError, VideoDecodeError
from temporal_ssl.pipeline.bad_videos import BadVideoLog
from temporal_ssl.pipeline.decode import decode_views
from temporal_ssl.pipeline.video_sampler import SampleKey
from temporal_ssl.pipeline.watchdog import run_with_deadline
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.types import Example, SamplePlan, VideoRecord

logger = logging.getLogger(__name__)

DecodeSize = int | tuple[int, int] | None
"""An int is the short side (aspect kept), ``(h, w)`` a fixed size, ``None`` the native size."""

_REPLACEMENT_STREAM = 0x5EED  # keeps the replacement draws apart from the attempts' planning streams


def decode_size_for(record: VideoRecord, size: DecodeSize) -> tuple[int, int] | None:
    """The ``(h, w)`` frames of ``record`` are decoded at (every camera of a scene at its primary's size)."""
    if size is None:
        meta = record.metadata
        return None if not record.cameras else (meta.height, meta.width)
    if isinstance(size, int):
        return short_side_size(record.metadata.height, record.metadata.width, size)
    return int(size[0]), int(size[1])


def pretext_name(pretext: Pretext) -> str:
    """The registry name of ``pretext`` (its class name when it has none), for messages."""
    return str(getattr(pretext, "name", type(pretext).__name__))


def short_video_remedy(pretext: Pretext, *, policy_applies: bool = True) -> str:
    """What a user can do about a video too short for ``pretext``, given the options it actually has.

    Args:
        pretext: the pretext whose needs the video does not meet.
        policy_applies: whether wrapping or padding the clip would have avoided the error (see
            ``ShortVideoError.skipped_by_policy``); only then is ``short_video`` worth suggesting.
    """
    if policy_applies and getattr(pretext, "short_video", None) == "skip":
        return ("set pretext.options.short_video to 'loop' or 'repeat_last' to wrap or pad short videos "
                "instead of skipping them, or use longer videos")
    return "use longer videos, or lower the pretext's frame counts (clips, frames per clip, strides or gaps)"


def keep_long_enough(records: Sequence[VideoRecord], pretext: Pretext) -> Sequence[VideoRecord]:
    """Drop videos too short for ``pretext`` if its short-video policy is ``skip`` (default); log how many.

    A ``RecordTable`` is filtered on its columns and stays a table (no record is built here).
    """
    policy = getattr(pretext, "short_video", "skip")
    needed = pretext.min_num_frames if policy == "skip" else 1
    kept = select_records(records, shortest_cameras(records) >= needed)
    name = pretext_name(pretext)
    if len(kept) < len(records):
        logger.warning("%d of %d videos have fewer than the %d frames pretext '%s' needs and are skipped",
                       len(records) - len(kept), len(records), needed, name)
    if not kept:
        raise DatasetError(f"no video has the {needed} frames pretext '{name}' needs (of {len(records)} "
                           f"videos); {short_video_remedy(pretext)}")
    return kept


def plan_sample(pretext: Pretext, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
    """``pretext.plan(record, rng)``; a ``ShortVideoError`` comes back naming video, pretext and remedy."""
    try:
        return pretext.plan(record, rng)
    except ShortVideoError as error:
        what = f"{error.what} of pretext '{pretext_name(pretext)}'"
        remedy = short_video_remedy(pretext, policy_applies=error.skipped_by_policy)
        raise error.for_video(record.path, what=what, remedy=remedy) from None


def sample_generator(seed: int, key: SampleKey, attempt: int = 0) -> np.random.Generator:
    """The generator attempt ``attempt`` of sample ``key`` plans and augments with."""
    return np.random.default_rng([seed, key.epoch, key.position, attempt])


def draw_augment_params(augment: VideoAugmentation, example: Example, rng: np.random.Generator, *,
                        pretext: str = "the pretext") -> AugmentParams:
    """One parameter row per view of ``example``; views of one augment group share a draw.

    View ``i`` is drawn with ``augment.for_view(i)`` when the config sets ``augment.view_overrides``, whose
    length must then be the number of views ``pretext`` (its name, for the message) gives an example.
    """
    num_views, _, _, height, width = example.views.shape
    num_overrides = len(augment.view_overrides)
    if num_overrides and num_overrides != num_views:
        raise ConfigError(
            f"augment.view_overrides has {num_overrides} entries but pretext '{pretext}' makes examples of "
            f"{num_views} views (roles {', '.join(example.roles)}); give one entry per view, or none"
        )
    return augment.sample_params(rng, num_clips=num_views, height=height, width=width,
                                 groups=example.augment_groups)


class PretextDataset(Dataset[Example]):
    """Map-style dataset of pretext examples keyed by :class:`SampleKey`.

    Args:
        records: the corpus (too-short videos are dropped here, see :func:`keep_long_enough`).
        pretext: plans each sample and builds its example.
        seed: the run seed.
        augment: the training augmentation, or ``None`` to keep the decoded uint8 views.
        decode_size: see :data:`DecodeSize`.
        backend: decoding backend (``temporal_ssl.io.open_video``).
        device: where frames are decoded (``cuda`` decodes with NVDEC; only in the main process).
        bad_videos: where decode failures are counted and written.
        max_consecutive_failures: failures in a row after which a sample gives up.
        decode_timeout_s: seconds one sample's decode may take before it counts as a bad file (``None``: no
            limit).
        augment_in_getitem: augment each example in ``__getitem__`` (CPU workers); ``False`` leaves it to a
            batched augmentation (see :mod:`temporal_ssl.pipeline.gpu_loader`).
    """

    def __init__(self, records: Sequence[VideoRecord], pretext: Pretext, *, seed: int = 0,
                 augment: VideoAugmentation | None = None, decode_size: DecodeSize = 128,
                 backend: str = "auto",
                 device: str | torch.device = "cpu", bad_videos: BadVideoLog | None = None,
                 max_consecutive_failures: int = 20, augment_in_getitem: bool = True,
                 decode_timeout_s: float | None = None) -> None:
        self.records = keep_long_enough(records, pretext)
        self.pretext = pretext
        self.seed = seed
        self.augment = augment
        self.decode_size = decode_size
        self.backend = backend
        self.device = torch.device(device)
        self.bad_videos = bad_videos if bad_videos is not None else BadVideoLog(None)
        self.max_consecutive_failures = max_consecutive_failures
        self.augment_in_getitem = augment_in_getitem
        self.decode_timeout_s = decode_timeout_s

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, key: SampleKey | int) -> Example:
        """The example of sample ``key`` (an int is sample ``key`` of epoch 0), augmented per clip on CPU."""
        example, rng = self.load_example(key)
        if self.augment is None or not self.augment_in_getitem:
            return example
        return self.augment_example(example, rng)

    def augment_example(self, example: Example, rng: np.random.Generator) -> Example:
        """``example`` with each view augmented on its own, parameters drawn from ``rng`` (as is without an
        augmentation)."""
        if self.augment is None:
            return example
        params = draw_augment_params(self.augment, example, rng, pretext=pretext_name(self.pretext))
        views = torch.stack([self.augment.apply(view, params[i]) for i, view in enumerate(example.views)])
        return replace(example, views=views)

    def load_example(self, key: SampleKey | int) -> tuple[Example, np.random.Generator]:
        """The decoded, not yet augmented example of ``key`` and the generator its augmentation draws from."""
        if not isinstance(key, SampleKey):
            key = SampleKey(int(key), 0, int(key))
        return self._load_with_replacements(key)

    def _load_with_replacements(self, key: SampleKey) -> tuple[Example, np.random.Generator]:
        replacements = np.random.default_rng([self.seed, key.epoch, key.position, _REPLACEMENT_STREAM])
        video = key.video
        last_failure = ""
        for attempt in range(self.max_consecutive_failures):
            rng = sample_generator(self.seed, key, attempt)
            record = self.records[video]
            known = self.bad_videos.known_bad(record, key.epoch)
            if known is not None:  # replaced by the draw a failure would make, without decoding it again
                self.bad_videos.count_known(known)
                last_failure = f"'{known}' failed in an earlier epoch or run"
                video = int(replacements.integers(len(self.records)))
                continue
            plan = plan_sample(self.pretext, record, rng)
            try:
                decode = partial(decode_views, plan, size=decode_size_for(record, self.decode_size),
                                 backend=self.backend, device=str(self.device))
                views = run_with_deadline(decode, self.decode_timeout_s, record.path)
            except VideoDecodeError as error:
                last_failure = str(error)
                self.bad_videos.record(error, video_index=record.index, epoch=key.epoch,
                                       position=key.position, attempt=attempt, source=record)
                video = int(replacements.integers(len(self.records)))
                continue
            return self.pretext.make_example(views, plan, rng), rng
        raise DatasetError(
            f"{self.max_consecutive_failures} videos in a row failed to decode for sample {key.position} of "
            f"epoch {key.epoch} (last: {last_failure}); most of the corpus seems unreadable with backend "
            f"'{self.backend}': check the files (see bad_videos.jsonl) or try another backend"
        )
