"""Which video comes next: a seeded per-epoch permutation, sharded across ranks, that can resume mid-epoch.

Each epoch is a permutation of the corpus drawn from ``(seed, epoch)``. The permutation is cut to a multiple
of ``world_size`` (the tail of at most ``world_size - 1`` videos is dropped, a different tail every epoch) and
rank ``r`` takes the global positions ``r, r + world_size, r + 2 * world_size ...``: ranks are disjoint,
equally long and together cover the kept part of the epoch. Every yielded :class:`SampleKey` carries its
global position, so a dataset can seed the sample from ``(seed, epoch, position)`` and the stream does not
depend on the number of workers, ranks or their scheduling.

Resuming: the state is the epoch plus the global position where the next sample starts. A run resumed from
``state_at(k)`` yields exactly what an uninterrupted run yields after its first ``k`` samples.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np
from torch.utils.data import Sampler

from temporal_ssl.errors import CheckpointError

logger = logging.getLogger(__name__)


class SampleKey(NamedTuple):
    """What a dataset receives for one sample.

    Args:
        video: position of the video in the dataset's record list.
        epoch: the epoch the sample belongs to.
        position: global position of the sample in the epoch's permutation (unique across ranks).
    """

    video: int
    epoch: int
    position: int


def epoch_permutation(num_videos: int, seed: int, epoch: int, shuffle: bool = True) -> np.ndarray:
    """The order of the videos in ``epoch``: a permutation seeded by ``(seed, epoch)``, or ``0..n-1``."""
    if not shuffle:
        return np.arange(num_videos)
    return np.random.default_rng([seed, epoch]).permutation(num_videos)


class ResumableVideoSampler(Sampler[SampleKey]):
    """Yields :class:`SampleKey` for one rank's share of each epoch, resumable at any sample.

    Args:
        num_videos: corpus size.
        seed: base seed of every epoch's permutation.
        rank, world_size: this process's shard (``torch.distributed`` rank and world size).
        shuffle: permute each epoch (training); ``False`` keeps corpus order (evaluation).
    """

    def __init__(self, num_videos: int, *, seed: int = 0, rank: int = 0, world_size: int = 1,
                 shuffle: bool = True) -> None:
        if world_size < 1:
            raise ValueError(f"world_size must be >= 1, got {world_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must lie in [0, {world_size}), got {rank}")
        if num_videos < world_size:
            raise ValueError(
                f"the corpus has {num_videos} video(s), fewer than the {world_size} ranks sharing it; "
                "use a larger corpus or fewer processes"
            )
        self.num_videos = num_videos
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.shuffle = shuffle
        self.epoch = 0
        self._start = 0  # global position where the next pass over ``epoch`` begins
        self._pass_start = 0  # global position where the current (or last) pass began
        self._yielded = 0  # samples this rank yielded in the current pass
        self._exhausted = False  # the last pass ran to the end of the epoch

    @property
    def epoch_size(self) -> int:
        """Samples per epoch over all ranks (the corpus cut to a multiple of ``world_size``)."""
        return self.num_videos // self.world_size * self.world_size

    def __len__(self) -> int:
        """Samples this rank yields in the next pass (a full epoch unless resumed mid-epoch)."""
        start = 0 if self._exhausted else self._start
        return max(0, (self.epoch_size - start) // self.world_size)

    def set_epoch(self, epoch: int) -> None:
        """Start ``epoch`` from its beginning, unless a loaded state points inside this very epoch."""
        if epoch != self.epoch:
            self.epoch = epoch
            self._start = self._pass_start = self._yielded = 0
            self._exhausted = False

    def __iter__(self) -> Iterator[SampleKey]:
        if self._exhausted:  # a second pass over the same epoch replays it from the beginning
            self._start, self._exhausted = 0, False
        order = epoch_permutation(self.num_videos, self.seed, self.epoch, self.shuffle)
        self._pass_start, self._yielded = self._start, 0
        for position in range(self._pass_start + self.rank, self.epoch_size, self.world_size):
            self._yielded += 1
            yield SampleKey(int(order[position]), self.epoch, position)
        self._exhausted = True

    def state_at(self, num_consumed: int, *, epoch_done: bool = False) -> dict[str, Any]:
        """The state after this rank consumed ``num_consumed`` samples of the current pass.

        Every rank consumes the same number of samples, so the global position advances by
        ``num_consumed * world_size``. A finished epoch (``epoch_done``, or no sample left) is stored as the
        start of the next one.
        """
        position = self._pass_start + num_consumed * self.world_size
        epoch = self.epoch
        if epoch_done or position + self.world_size > self.epoch_size:
            epoch, position = epoch + 1, 0
        return {"epoch": epoch, "position": position, "seed": self.seed, "num_videos": self.num_videos,
                "world_size": self.world_size, "shuffle": self.shuffle}

    def state_dict(self) -> dict[str, Any]:
        """The state after every sample yielded so far was consumed (exact when iterated synchronously)."""
        return self.state_at(self._yielded, epoch_done=self._exhausted)

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from ``state``; the corpus and seed must match the run that saved it."""
        for key in ("num_videos", "seed", "shuffle"):
            if state.get(key) != getattr(self, key):
                raise CheckpointError(
                    f"the loader state in the checkpoint was saved with {key}={state.get(key)!r} but this "
                    f"run has {key}={getattr(self, key)!r}; resume with the same data and seed, or start a "
                    "new run"
                )
        position = int(state["position"])
        if state.get("world_size") != self.world_size:
            logger.warning(
                "resuming a run saved with world_size=%s on world_size=%d: the epoch continues at global "
                "position %d without repeating or skipping samples, but batches differ from the original run",
                state.get("world_size"), self.world_size, position)
        if not 0 <= position <= self.epoch_size:
            raise CheckpointError(f"loader state position {position} lies outside the epoch of "
                                  f"{self.epoch_size} samples")
        self.epoch = int(state["epoch"])
        self._start = self._pass_start = position
        self._yielded = 0
        self._exhausted = False
