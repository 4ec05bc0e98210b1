"""Read-time reliability: a file that fails is replaced in its batch, remembered by later epochs and runs,
and a decode that hangs, even inside C code, is stopped by the time limit and treated the same way."""

from __future__ import annotations

import ctypes
import json
import sys
import time
from pathlib import Path

import pytest
import torch

import temporal_ssl.pipeline.dataset as dataset_module
from temporal_ssl.errors import VideoDecodeError
from temporal_ssl.types import VideoRecord
from tests.pipeline.test_loader import assert_same_batches, make_loader, two_epochs


def _entries(run: Path) -> list[dict]:
    path = run / "bad_videos.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


def test_a_failed_file_is_not_decoded_again_by_later_epochs_or_runs(
        corrupt_corpus: tuple[list[VideoRecord], int], tmp_path: Path) -> None:
    records, bad = corrupt_corpus
    first = make_loader(records, seed=3, output_dir=tmp_path / "run1")
    batches = two_epochs(first)
    assert len(batches) == 10 and all(b.size == 2 for b in batches)  # no step lost in either epoch
    entries = _entries(tmp_path / "run1")
    assert entries and {e["epoch"] for e in entries} == {0}  # decoded and failed in epoch 0 only
    assert first.num_bad_videos > len(entries)  # epoch 1 replaced it too, without decoding it
    assert records[bad].index not in [i for b in batches for i in b.video_indices.tolist()]
    # The replacements are those a failure draws: a loader that remembers nothing gives the same batches.
    assert_same_batches(batches, two_epochs(make_loader(records, seed=3)))
    second = make_loader(records, seed=3, output_dir=tmp_path / "run2")  # a later run on the same files
    assert_same_batches(batches, two_epochs(second))
    assert _entries(tmp_path / "run2") == [] and second.num_bad_videos == first.num_bad_videos


def hang_in_c() -> None:
    """Block forever inside C, where no signal handler can run: lock a pthread mutex this thread holds."""
    libc = ctypes.CDLL(None)
    mutex = ctypes.create_string_buffer(64)  # zeroed: a default (non-recursive) mutex, unlocked
    libc.pthread_mutex_lock(mutex)
    libc.pthread_mutex_lock(mutex)  # never returns; ctypes released the GIL


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the hang uses a glibc pthread mutex")
@pytest.mark.parametrize(("workers", "batched_augment"), [(0, False), (2, False), (1, True)],
                         ids=["in-process", "two-workers", "background-thread"])
def test_a_decode_hanging_inside_c_is_stopped_and_its_sample_replaced(
        corpus_records: list[VideoRecord], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        workers: int, batched_augment: bool) -> None:
    hanging = corpus_records[4].path
    real_decode = dataset_module.decode_views

    def decode_or_hang(plan, **kwargs):  # noqa: ANN001, ANN202 - the signature of decode_views
        if plan.record.path == hanging:
            hang_in_c()  # as a decoder deadlocked in C would
        return real_decode(plan, **kwargs)

    monkeypatch.setattr(dataset_module, "decode_views", decode_or_hang)
    started = time.monotonic()
    loader = make_loader(corpus_records, seed=1, workers=workers, output_dir=tmp_path, decode_timeout_s=1.0,
                         batched_augment=batched_augment)
    batches = list(loader)
    assert time.monotonic() - started < 60
    assert len(batches) == 5 and all(b.size == 2 for b in batches)  # every step, whole
    entries = _entries(tmp_path)
    assert [e["path"] for e in entries] == [hanging] and "decoding hung" in entries[0]["cause"]
    assert corpus_records[4].index not in torch.cat([b.video_indices for b in batches]).tolist()
    # The replacement is the one a decode failure draws: the same batches as when the file fails at once.

    def decode_or_fail(plan, **kwargs):  # noqa: ANN001, ANN202 - the signature of decode_views
        if plan.record.path == hanging:
            raise VideoDecodeError(hanging, "unreadable")
        return real_decode(plan, **kwargs)

    monkeypatch.setattr(dataset_module, "decode_views", decode_or_fail)
    assert_same_batches(batches, make_loader(corpus_records, seed=1, batched_augment=batched_augment))
