"""Compute threads beside loader workers: fewer while the body runs on the CPU, restored afterwards."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import torch

import temporal_ssl.cpus as cpus


@pytest.fixture
def four_cpus(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(cpus, "usable_cpus", lambda: 4)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    previous = torch.get_num_threads()
    torch.set_num_threads(4)
    yield
    torch.set_num_threads(previous)


@pytest.mark.usefixtures("four_cpus")
@pytest.mark.parametrize(("workers", "inside"), [(1, 3), (2, 2), (4, 1), (9, 1)])
def test_workers_take_cpus_from_torch_and_the_count_comes_back(workers: int, inside: int) -> None:
    with cpus.threads_beside_workers(workers, "cpu"):
        assert torch.get_num_threads() == inside
    assert torch.get_num_threads() == 4


@pytest.mark.usefixtures("four_cpus")
def test_restored_after_an_exception() -> None:
    with pytest.raises(RuntimeError), cpus.threads_beside_workers(2, torch.device("cpu")):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == 4


@pytest.mark.usefixtures("four_cpus")
@pytest.mark.parametrize("case", ["no_workers", "gpu", "omp_pinned"])
def test_left_alone(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    workers, device = (0, "cpu") if case == "no_workers" else (2, "cuda" if case == "gpu" else "cpu")
    if case == "omp_pinned":
        monkeypatch.setenv("OMP_NUM_THREADS", "4")
    with cpus.threads_beside_workers(workers, device):
        assert torch.get_num_threads() == 4


def test_usable_cpus_follows_the_affinity_mask_else_the_cpu_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 2, 5}, raising=False)
    assert cpus.usable_cpus() == 3
    monkeypatch.delattr(os, "sched_getaffinity")
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    assert cpus.usable_cpus() == 6
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert cpus.usable_cpus() == 1
