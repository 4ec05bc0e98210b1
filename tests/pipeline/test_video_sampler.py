"""ResumableVideoSampler: seeded epochs, disjoint rank shards, exact resume."""

from __future__ import annotations

import itertools

import pytest

from temporal_ssl.errors import CheckpointError
from temporal_ssl.pipeline.video_sampler import ResumableVideoSampler, SampleKey


def test_sampler_epoch_is_a_seeded_permutation_that_changes_with_epoch_and_seed() -> None:
    sampler = ResumableVideoSampler(20, seed=3)
    first = [k.video for k in sampler]
    assert sorted(first) == list(range(20))
    assert [k.video for k in ResumableVideoSampler(20, seed=3)] == first
    assert [k.video for k in ResumableVideoSampler(20, seed=4)] != first
    sampler.set_epoch(1)
    second = [k.video for k in sampler]
    assert sorted(second) == list(range(20)) and second != first


def test_sampler_keys_carry_epoch_and_global_position() -> None:
    sampler = ResumableVideoSampler(6, seed=0, rank=1, world_size=2)
    sampler.set_epoch(5)
    keys = list(sampler)
    assert [k.position for k in keys] == [1, 3, 5]
    assert all(isinstance(k, SampleKey) and k.epoch == 5 for k in keys)


@pytest.mark.parametrize("num_videos,world_size", [(10, 2), (11, 3), (7, 7), (9, 4)])
def test_sampler_ranks_are_disjoint_equal_and_cover_the_epoch(num_videos: int, world_size: int) -> None:
    shards = []
    for rank in range(world_size):
        sampler = ResumableVideoSampler(num_videos, seed=1, rank=rank, world_size=world_size)
        sampler.set_epoch(2)
        shards.append([k.video for k in sampler])
        assert len(shards[-1]) == len(sampler)
    lengths = {len(s) for s in shards}
    assert lengths == {num_videos // world_size}
    everything = list(itertools.chain(*shards))
    assert len(set(everything)) == len(everything)  # no duplicates across ranks
    # The kept part is the epoch permutation minus a tail shorter than world_size.
    single = ResumableVideoSampler(num_videos, seed=1)
    single.set_epoch(2)
    order = [k.video for k in single]
    assert sorted(everything) == sorted(order[: num_videos // world_size * world_size])


@pytest.mark.parametrize("world_size", [1, 3])
def test_sampler_resume_after_k_samples_continues_the_uninterrupted_stream(world_size: int) -> None:
    for rank in range(world_size):
        straight = ResumableVideoSampler(25, seed=9, rank=rank, world_size=world_size)
        straight.set_epoch(4)
        full = list(straight)
        interrupted = ResumableVideoSampler(25, seed=9, rank=rank, world_size=world_size)
        interrupted.set_epoch(4)
        head = list(itertools.islice(iter(interrupted), 3))
        state = interrupted.state_at(3)
        resumed = ResumableVideoSampler(25, seed=9, rank=rank, world_size=world_size)
        resumed.load_state_dict(state)
        resumed.set_epoch(4)  # the engine calls this on the resumed epoch: it must not rewind
        assert len(resumed) == len(full) - 3
        assert head + list(resumed) == full
        resumed.set_epoch(5)
        straight.set_epoch(5)
        assert list(resumed) == list(straight)


def test_sampler_state_after_a_full_epoch_points_at_the_next_epoch() -> None:
    sampler = ResumableVideoSampler(8, seed=0)
    list(sampler)
    state = sampler.state_dict()
    assert (state["epoch"], state["position"]) == (1, 0)


def test_sampler_refuses_a_state_from_another_corpus_or_seed() -> None:
    state = ResumableVideoSampler(8, seed=0).state_at(2)
    with pytest.raises(CheckpointError, match="num_videos=8 but this run has num_videos=9"):
        ResumableVideoSampler(9, seed=0).load_state_dict(state)
    with pytest.raises(CheckpointError, match="seed=0 but this run has seed=1"):
        ResumableVideoSampler(8, seed=1).load_state_dict(state)


def test_sampler_rejects_more_ranks_than_videos() -> None:
    with pytest.raises(ValueError, match="fewer than the 4 ranks"):
        ResumableVideoSampler(3, world_size=4, rank=0)
