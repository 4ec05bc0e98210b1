"""Checkpoints that survive crashes and resume exactly.

A checkpoint holds everything a run needs to continue as if it had never stopped: model (and loss, for MoCo
queues) state, optimizer and grad-scaler state, the step and epoch, every rank's loader position and RNG
states (python, numpy, torch CPU and CUDA), and the resolved config. It is written to a temporary file in the
same folder, flushed and fsynced, then renamed onto its final name with ``os.replace`` (atomic on POSIX), so a
crash or a full disk mid-save never corrupts the previous checkpoint and never leaves a half file under a
final name.
"""

from __future__ import annotations

import contextlib
import logging
import pickle
import random
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from temporal_ssl.atomic_write import atomic_open
from temporal_ssl.errors import CheckpointError, ConfigError

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
CHECKPOINT_DIRNAME = "checkpoints"
_NAME = re.compile(r"^step_(\d+)\.pt$")


def checkpoint_path(directory: str | Path, step: int) -> Path:
    """The file name of the checkpoint taken after ``step`` optimizer steps."""
    return Path(directory) / f"step_{step:08d}.pt"


def save_atomic(obj: Any, path: str | Path) -> Path:
    """``torch.save`` ``obj`` to ``path`` atomically and durably (temp file, fsync, ``os.replace``)."""
    with atomic_open(path, "wb", durable=True) as handle:
        torch.save(obj, handle)
    return Path(path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint of this package; missing, truncated or foreign files raise ``CheckpointError``."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint '{path}' does not exist; pass an existing checkpoint file")
    try:
        checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, OSError) as error:
        raise CheckpointError(
            f"checkpoint '{path}' cannot be read (truncated or not a torch file?): {error}"
        ) from None
    if not isinstance(checkpoint, dict) or checkpoint.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(f"'{path}' is not a temporal_ssl training checkpoint (format {FORMAT_VERSION})")
    return checkpoint


def list_checkpoints(directory: str | Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of every complete checkpoint in ``directory``, by step; temp files are ignored."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _NAME.match(p.name))]
    return sorted(found)


def find_latest_checkpoint(directory: str | Path) -> Path | None:
    """The checkpoint with the highest step in ``directory``, or ``None``."""
    found = list_checkpoints(directory)
    return found[-1][1] if found else None


def resolve_resume(resume: str | None, output_dir: str | Path) -> Path | None:
    """``--resume`` as a checkpoint path: ``"auto"`` = latest in the run's folder (or a fresh start)."""
    if resume is None:
        return None
    if resume == "auto":
        latest = find_latest_checkpoint(Path(output_dir) / CHECKPOINT_DIRNAME)
        if latest is None:
            logger.info("--resume auto: no checkpoint in '%s', starting from scratch", output_dir)
        return latest
    path = Path(resume)
    if not path.is_file():
        raise CheckpointError(
            f"--resume '{resume}' is not a file; pass a checkpoint path "
            f"(e.g. {checkpoint_path(Path(output_dir) / CHECKPOINT_DIRNAME, 100)}) or 'auto'"
        )
    return path


def checkpoint_to_resume(resume: str | None, output_dir: str | Path) -> Path | None:
    """:func:`resolve_resume`, refusing a fresh start in a folder that holds another run's checkpoints.

    A fresh start there would mix two runs' checkpoints, and ``--resume auto`` would later pick the wrong one.
    """
    path = resolve_resume(resume, output_dir)
    existing = find_latest_checkpoint(Path(output_dir) / CHECKPOINT_DIRNAME)
    if path is None and existing is not None:
        raise ConfigError(
            f"'{output_dir}' already holds checkpoints of another run (latest: '{existing}'); "
            "continue it with --resume auto, or choose another --output-dir"
        )
    return path


def prune_checkpoints(directory: str | Path, keep: int) -> None:
    """Delete all but the ``keep`` newest checkpoints (``keep <= 0`` keeps everything)."""
    if keep <= 0:
        return
    for _, path in list_checkpoints(directory)[:-keep]:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def capture_rng_state() -> dict[str, Any]:
    """This process's python, numpy and torch (CPU and every GPU) RNG states, as tensors and primitives."""
    np_state: tuple[Any, ...] = np.random.get_state()  # type: ignore[assignment]  # the legacy tuple form
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": (np_state[0], torch.from_numpy(np_state[1].astype(np.int64)), *np_state[2:]),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Mapping[str, Any]) -> None:
    """Put back the RNG states captured by :func:`capture_rng_state`."""
    random.setstate(_as_tuple(state["python"]))
    name, keys, *rest = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), *rest))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _as_tuple(value: Any) -> Any:
    """``random.setstate`` wants nested tuples; torch.load may give lists back."""
    return tuple(_as_tuple(v) for v in value) if isinstance(value, (list, tuple)) else value
