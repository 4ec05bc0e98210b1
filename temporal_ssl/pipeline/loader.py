"""The training loader: a reproducible, shardable, exactly resumable stream of collated batches.

How the engine uses it (this is the contract)::

    from temporal_ssl.pipeline import DataConfig, LoaderConfig, build_loader, load_records

    records = load_records(data_cfg)                     # DataConfig, the `data:` section
    loader = build_loader(records, pretext, loader_cfg,  # LoaderConfig, the `loader:` section
                          augment=augmentation,          # VideoAugmentation (`augment:` section) or None
                          seed=cfg.seed, rank=rank, world_size=world_size, output_dir=run_dir)
    if resuming:
        loader.load_state_dict(checkpoint["loader"])    # epoch + position inside it
    for epoch in range(loader.epoch, num_epochs):        # or step-based: for batch in loader.batches(): ...
        loader.set_epoch(epoch)                          # a no-op for the resumed epoch: it continues
        for batch in loader:                             # Batch: views float [B, V, C, T, H, W] ...
            batch = batch.to(device, non_blocking=True)  # already there in GPU mode (loader.device)
            ...train one step...
            checkpoint["loader"] = loader.state_dict()   # counts every batch handed out so far

``state_dict()`` counts the batches the caller has received, not what workers prefetched, so saving after
step ``k`` and resuming yields exactly the batches ``k + 1, k + 2 ...`` of the uninterrupted run (sample seeds
depend only on ``(seed, epoch, global sample position)``). The last incomplete batch of an epoch is dropped
(``drop_last``) so every step sees ``batch_size`` samples; ranks drop the tail of the permutation so they see
equally many disjoint samples (see :mod:`temporal_ssl.pipeline.video_sampler`).

Modes (``LoaderConfig.device`` and ``batched_augment``):

- CPU (default): ``num_workers`` processes each decode, augment (per clip) and collate whole batches;
  batches are pinned when a GPU is present so ``batch.to(device, non_blocking=True)`` overlaps the copy.
- GPU (``device: cuda``): NVDEC decoding and batched augmentation on the device in the main process (CUDA in
  forked workers is unsafe), a background thread preparing the next batches while the model trains; frames
  never go back to the host. ``batched_augment: true`` with ``device: cpu`` runs that same path on the CPU.

Bad videos: a ``VideoDecodeError`` (or a decode outliving ``decode_timeout_s``) skips the video, counts it,
appends a line to ``<output_dir>/bad_videos.jsonl`` and deterministically replaces the sample
(``loader.num_bad_videos`` and the end-of-epoch log report the count); later epochs and runs replace the file
without decoding it again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import DataLoader, get_worker_info

from temporal_ssl.data.transforms import VideoAugmentation
from temporal_ssl.data.user_cache import user_cache_dir
from temporal_ssl.errors import ConfigError
from temporal_ssl.pipeline.bad_videos import BAD_VIDEOS_FILENAME, READ_FAILURES_FILENAME, BadVideoLog
from temporal_ssl.pipeline.collate import collate_examples
from temporal_ssl.pipeline.dataset import PretextDataset
from temporal_ssl.pipeline.gpu_loader import InProcessBatches
from temporal_ssl.pipeline.video_sampler import ResumableVideoSampler
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.types import Batch, VideoRecord

logger = logging.getLogger(__name__)


@dataclass
class LoaderConfig:
    """The ``loader:`` config section: how records become batches.

    Args:
        batch_size: samples per batch on each rank.
        num_workers: decoding processes (CPU mode); in GPU / batched mode, ``0`` decodes synchronously and any
            other value uses one background thread.
        device: ``cpu`` (workers decode on the CPU) or ``cuda`` / ``cuda:N`` (GPU mode).
        batched_augment: augment the whole batch at once in the main process (the GPU-mode path) even on CPU.
        decode_size: frames are resized while decoding: an int is the short side (aspect kept), ``[h, w]`` a
            fixed size, ``null`` the native size.
        backend: decoding backend for ``temporal_ssl.io.open_video`` (``auto``, ``torchcodec``, ``decord``,
            ``pyav``).
        pin_memory: page-lock CPU batches when a GPU is present.
        persistent_workers: keep worker processes alive between epochs.
        prefetch_factor: batches each worker (or the GPU-mode thread) prepares ahead.
        start_method: how workers start: ``fork`` (fast, the Linux default), ``forkserver`` or ``spawn``
            (safer when the main process holds many threads; the dataset is pickled into each worker).
        max_consecutive_failures: a sample gives up, with an error, after this many bad videos in a row.
        decode_timeout_s: seconds one sample's decode may take; a file that hangs the decoder longer is
            treated as bad (counted, remembered, replaced). ``null``: no limit.
        remember_bad_videos: remember files that fail in ``$XDG_CACHE_HOME/temporal_ssl/quarantine`` so
            later runs replace them without decoding them again (a changed file is tried again).
    """

    batch_size: int = 8
    num_workers: int = 2
    device: str = "cpu"
    batched_augment: bool = False
    decode_size: int | tuple[int, int] | None = 128
    backend: str = "auto"
    pin_memory: bool = True
    persistent_workers: bool = False
    prefetch_factor: int = 2
    start_method: Literal["fork", "forkserver", "spawn"] = "fork"
    max_consecutive_failures: int = 20
    decode_timeout_s: float | None = 60.0
    remember_bad_videos: bool = True

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"'loader.batch_size' = {self.batch_size} must be >= 1")
        if self.num_workers < 0:
            raise ConfigError(f"'loader.num_workers' = {self.num_workers} must be >= 0 "
                              "(0 decodes in the main process)")
        if self.prefetch_factor < 1:
            raise ConfigError(f"'loader.prefetch_factor' = {self.prefetch_factor} must be >= 1")
        if self.max_consecutive_failures < 1:
            raise ConfigError(
                f"'loader.max_consecutive_failures' = {self.max_consecutive_failures} must be >= 1")
        if self.decode_timeout_s is not None and self.decode_timeout_s <= 0:
            raise ConfigError(f"'loader.decode_timeout_s' = {self.decode_timeout_s} must be > 0 (or null for "
                              "no limit)")
        if not (self.device == "cpu" or self.device == "cuda" or self.device.startswith("cuda:")):
            raise ConfigError(f"'loader.device' = '{self.device}' must be 'cpu', 'cuda' or 'cuda:N'")
        size = self.decode_size
        if isinstance(size, int) and size < 8 or isinstance(size, tuple) and min(size) < 8:
            raise ConfigError(f"'loader.decode_size' = {size} is too small; give a short side (e.g. 128) "
                              "or [h, w]")

    @property
    def in_process(self) -> bool:
        """Whether batches are built in the main process (GPU mode or batched augmentation)."""
        return self.device != "cpu" or self.batched_augment

    @property
    def worker_processes(self) -> int:
        """Decoding processes running beside the main one (none in the in-process modes)."""
        return 0 if self.in_process else self.num_workers


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn``: seed ``random``, numpy and torch in a worker and keep it to one thread.

    The worker seed comes from the loader's generator, re-seeded from ``(seed, epoch, rank)`` every epoch, so
    no global random state is read. Samples never use these global generators (each draws from its own), but
    third-party code in a worker gets reproducible seeds. One thread per worker: the workers are the
    parallelism.
    """
    info = get_worker_info()
    seed = info.seed if info is not None else worker_id
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(1)


class TrainLoader:
    """Iterates one epoch of :class:`Batch` at a time and remembers how far the caller got.

    Build it with :func:`build_loader`. ``dataset`` maps a ``SampleKey`` to an ``Example`` and has a
    ``bad_videos`` counter.
    """

    def __init__(self, dataset: PretextDataset, sampler: ResumableVideoSampler, config: LoaderConfig) -> None:
        self.dataset = dataset
        self.sampler = sampler
        self.config = config
        self.device = torch.device(config.device)
        self._seed_generator = torch.Generator()
        self._consumed = 0  # samples of the current pass handed to the caller
        self._epoch_done = False
        self._loader: DataLoader[Any] | InProcessBatches
        if config.in_process:
            self._loader = InProcessBatches(dataset, sampler, batch_size=config.batch_size,
                                            device=self.device, background=config.num_workers > 0,
                                            prefetch=config.prefetch_factor)
        else:
            workers = config.num_workers
            self._loader = DataLoader(
                dataset, batch_size=config.batch_size, sampler=sampler,
                collate_fn=collate_examples,
                num_workers=workers, pin_memory=config.pin_memory and torch.cuda.is_available(),
                drop_last=True,
                worker_init_fn=seed_worker if workers else None, generator=self._seed_generator,
                persistent_workers=config.persistent_workers and workers > 0,
                prefetch_factor=config.prefetch_factor if workers else None,
                multiprocessing_context=config.start_method if workers else None,
            )
        self._reseed()

    @property
    def epoch(self) -> int:
        """The epoch the next batch belongs to."""
        return int(self.state_dict()["sampler"]["epoch"])

    @property
    def batch_size(self) -> int:
        return self.config.batch_size

    @property
    def num_bad_videos(self) -> int:
        """Decode failures so far in this process's loader (every worker included)."""
        return self.dataset.bad_videos.count

    def __len__(self) -> int:
        """Batches the next pass yields (a full epoch, or what is left of a resumed one)."""
        return len(self.sampler) // self.config.batch_size

    def set_epoch(self, epoch: int) -> None:
        """Move to ``epoch``; calling it with the epoch of a loaded state keeps the resumed position.

        Iterating again without ``set_epoch`` after an epoch finished moves on to the next epoch.
        """
        if epoch != self.sampler.epoch or self._epoch_done:
            self._consumed, self._epoch_done = 0, False
        self.sampler.set_epoch(epoch)
        self._reseed()

    def _reseed(self) -> None:
        # Worker seeds derive from (seed, epoch, rank) instead of torch's global generator.
        entropy = [self.sampler.seed, self.sampler.epoch, self.sampler.rank]
        self._seed_generator.manual_seed(int(np.random.SeedSequence(entropy).generate_state(1)[0]))

    def __iter__(self) -> Iterator[Batch]:
        if self._epoch_done:
            self.set_epoch(self.sampler.epoch + 1)
        elif self._consumed:  # an earlier pass was left mid-epoch: continue where the caller stopped
            self.sampler.load_state_dict(self.sampler.state_at(self._consumed))
        self._reseed()
        failures_before = self.num_bad_videos
        self._consumed, self._epoch_done = 0, False
        epoch = self.sampler.epoch
        for batch in self._loader:
            self._consumed += batch.size
            yield batch
        self._epoch_done = True
        failures = self.num_bad_videos - failures_before
        if failures:
            where = self.dataset.bad_videos.path or "the log above"
            logger.warning("epoch %d: %d bad-video decode failure(s) were skipped and replaced; see %s",
                           epoch, failures, where)

    def batches(self) -> Generator[Batch, None, None]:
        """Batches without end, moving to the next epoch whenever one finishes (for step-based training)."""
        while True:
            self.set_epoch(self.epoch)
            yield from self

    def state_dict(self) -> dict[str, Any]:
        """The position after every batch handed out so far: ``{"sampler": {...}, "batch_size": B}``."""
        return {"sampler": self.sampler.state_at(self._consumed, epoch_done=self._epoch_done),
                "batch_size": self.config.batch_size}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue where ``state`` stopped (same data, seed and batch size)."""
        if state.get("batch_size") != self.config.batch_size:
            logger.warning("resuming with batch_size %d, the saved run used %s: no sample is repeated or "
                           "skipped, but batches differ from the original run",
                           self.config.batch_size, state.get("batch_size"))
        self.sampler.load_state_dict(state["sampler"])
        self._consumed, self._epoch_done = 0, False
        self._reseed()


def build_loader(
    records: Sequence[VideoRecord],
    pretext: Pretext,
    config: LoaderConfig,
    *,
    augment: VideoAugmentation | None = None,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    output_dir: str | Path | None = None,
) -> TrainLoader:
    """The training loader of ``pretext`` over ``records``.

    Args:
        records: the corpus (from :func:`temporal_ssl.pipeline.load_records`).
        pretext: plans samples and builds examples.
        config: the ``loader:`` section.
        augment: the training augmentation (the ``augment:`` section, ``from_dict(VideoAugmentation, ...)``),
            or ``None`` (views stay as decoded, scaled to ``[0, 1]`` by collate).
        seed: the run seed; epochs, samples and workers derive their seeds from it.
        rank, world_size: distributed shard of this process.
        output_dir: the run folder; ``bad_videos.jsonl`` is written there (``None``: count and log only).
    """
    shared = user_cache_dir("quarantine") / READ_FAILURES_FILENAME if config.remember_bad_videos else None
    log = BadVideoLog(None if output_dir is None else Path(output_dir) / BAD_VIDEOS_FILENAME, rank=rank,
                      shared=shared)
    dataset = PretextDataset(
        records, pretext, seed=seed, augment=augment, decode_size=config.decode_size, backend=config.backend,
        device=config.device if config.in_process else "cpu", bad_videos=log,
        max_consecutive_failures=config.max_consecutive_failures, augment_in_getitem=not config.in_process,
        decode_timeout_s=config.decode_timeout_s,
    )
    sampler = ResumableVideoSampler(len(dataset), seed=seed, rank=rank, world_size=world_size, shuffle=True)
    if len(sampler) < config.batch_size:
        raise ConfigError(
            f"'loader.batch_size' = {config.batch_size} is larger than the {len(sampler)} samples each of "
            f"the {world_size} rank(s) gets per epoch; use a smaller batch or a larger corpus"
        )
    return TrainLoader(dataset, sampler, config)
