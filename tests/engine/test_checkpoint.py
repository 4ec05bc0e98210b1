"""Atomic checkpoint writes, discovery of the latest checkpoint, and clear errors for bad files."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import torch

from temporal_ssl.engine import checkpoint as ckpt
from temporal_ssl.errors import CheckpointError


def _state(value: float) -> dict:
    return {"format_version": ckpt.FORMAT_VERSION, "weights": torch.full((64, 64), value), "step": int(value)}


def test_interrupted_save_keeps_previous_checkpoint_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "step_00000001.pt"
    ckpt.save_atomic(_state(1.0), path)

    real_save = torch.save

    def crash_midway(obj: object, handle: object, *args: object, **kwargs: object) -> None:
        real_save(obj, handle, *args, **kwargs)  # a complete payload is on disk in the temp file...
        handle.truncate(100)  # type: ignore[attr-defined]  # ...then half of it is lost
        raise OSError("No space left on device")  # ...and the process "dies" before the rename

    monkeypatch.setattr(ckpt.torch, "save", crash_midway)
    with pytest.raises(OSError, match="No space left"):
        ckpt.save_atomic(_state(2.0), path)
    monkeypatch.undo()

    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "step_00000001.pt"
    ]  # temp file removed, nothing else
    loaded = ckpt.load_checkpoint(path)
    assert loaded["step"] == 1 and torch.equal(loaded["weights"], torch.full((64, 64), 1.0))


def test_crash_before_rename_never_shows_a_half_file_under_a_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ckpt.save_atomic(_state(1.0), ckpt.checkpoint_path(tmp_path, 1))

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # e.g. a second Ctrl-C arriving during the write

    monkeypatch.setattr(os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save_atomic(_state(2.0), ckpt.checkpoint_path(tmp_path, 2))
    monkeypatch.undo()
    assert not ckpt.checkpoint_path(tmp_path, 2).exists()
    assert ckpt.find_latest_checkpoint(tmp_path) == ckpt.checkpoint_path(tmp_path, 1)
    assert not list(tmp_path.glob("*.tmp"))


def test_latest_checkpoint_ignores_stray_temp_files(tmp_path: Path) -> None:
    for step in (5, 20, 10):
        ckpt.save_atomic(_state(float(step)), ckpt.checkpoint_path(tmp_path, step))
    (tmp_path / ".step_00000030.pt.abc.tmp").write_bytes(b"half a checkpoint")  # left by a killed process
    assert ckpt.find_latest_checkpoint(tmp_path) == ckpt.checkpoint_path(tmp_path, 20)
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path)] == [5, 10, 20]


def test_prune_keeps_the_newest(tmp_path: Path) -> None:
    for step in range(1, 6):
        ckpt.save_atomic(_state(float(step)), ckpt.checkpoint_path(tmp_path, step))
    ckpt.prune_checkpoints(tmp_path, keep=2)
    assert [s for s, _ in ckpt.list_checkpoints(tmp_path)] == [4, 5]


def test_resolve_resume_auto_and_explicit(tmp_path: Path) -> None:
    assert ckpt.resolve_resume(None, tmp_path) is None
    assert ckpt.resolve_resume("auto", tmp_path) is None  # nothing yet: fresh start
    saved = ckpt.save_atomic(_state(3.0), ckpt.checkpoint_path(tmp_path / ckpt.CHECKPOINT_DIRNAME, 3))
    assert ckpt.resolve_resume("auto", tmp_path) == saved
    assert ckpt.resolve_resume(str(saved), tmp_path) == saved
    with pytest.raises(CheckpointError, match=re.escape(f"--resume '{tmp_path / 'nope.pt'}' is not a file")):
        ckpt.resolve_resume(str(tmp_path / "nope.pt"), tmp_path)


def test_truncated_and_foreign_files_raise_checkpoint_error(tmp_path: Path) -> None:
    good = ckpt.save_atomic(_state(1.0), tmp_path / "good.pt")
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match=re.escape(f"checkpoint '{truncated}' cannot be read")):
        ckpt.load_checkpoint(truncated)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(
        CheckpointError, match=re.escape(f"'{foreign}' is not a temporal_ssl training checkpoint")
    ):
        ckpt.load_checkpoint(foreign)
    with pytest.raises(
        CheckpointError,
        match=re.escape(f"checkpoint '{tmp_path / 'missing.pt'}' does not exist; pass an existing"),
    ):
        ckpt.load_checkpoint(tmp_path / "missing.pt")


def test_rng_state_round_trips_through_a_checkpoint(tmp_path: Path) -> None:
    import random

    import numpy as np

    torch.manual_seed(7)
    random.seed(7)
    np.random.seed(7)
    state = ckpt.capture_rng_state()
    expected = (random.random(), float(np.random.rand()), float(torch.rand(())))
    path = ckpt.save_atomic({"format_version": ckpt.FORMAT_VERSION, "rng": state}, tmp_path / "rng.pt")
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    ckpt.restore_rng_state(ckpt.load_checkpoint(path)["rng"])  # through weights_only loading
    assert (random.random(), float(np.random.rand()), float(torch.rand(()))) == expected
