"""A time limit on decoding one sample: a file that hangs the demuxer or decoder costs its timeout, not a run.

The decode runs in a fresh helper thread while the calling thread waits on it with a deadline. The
backends release the GIL while they demux and decode (PyAV's demuxer and codec calls, the FFI and torch-op
calls of decord and torchcodec), so a decoder stuck forever inside C code stalls only its helper thread: when
the deadline passes, the caller raises a ``VideoDecodeError`` naming the file, which the dataset treats like
any bad file (counted, recorded in ``bad_videos.jsonl``, remembered, and replaced by the same deterministic
draw a decode failure makes), and the stuck thread is abandoned (a daemon: it never blocks the process from
exiting; a late result is dropped). This works in any thread (DataLoader workers, the in-process loader, the
GPU mode's background prefetch thread), unlike a signal, which only reaches the main thread and only
interrupts code that returns to Python. Each abandoned thread keeps its open file, so a process that
abandons :data:`MAX_ABANDONED` of them stops with an error instead of piling up stuck decoders.

What this cannot stop is C code that hangs while holding the GIL: the whole process freezes, and only the
DataLoader's own ``timeout`` (outside the dataset) notices.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

import torch

from temporal_ssl.errors import DatasetError, VideoDecodeError

logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_ABANDONED = 16
"""Stuck decodes one process may leave behind before it gives up (each holds a thread and an open file)."""

_abandoned: list[threading.Thread] = []


def run_with_deadline(decode: Callable[[], T], seconds: float | None, path: str) -> T:
    """``decode()``, or a ``VideoDecodeError`` for ``path`` if it runs over ``seconds`` (``None``: no limit).

    Errors raised by ``decode`` come back unchanged. The decode runs on the caller's CUDA device.
    """
    if seconds is None:
        return decode()
    stuck = [thread for thread in _abandoned if thread.is_alive()]
    if len(stuck) >= MAX_ABANDONED:
        raise DatasetError(f"{len(stuck)} decodes are stuck in this process (the last on '{path}'): the "
                           "backend hangs on many files; try another backend or check the files listed in "
                           "bad_videos.jsonl")
    outcome: dict[str, object] = {}
    finished = threading.Event()
    cuda_device = torch.cuda.current_device() if torch.cuda.is_initialized() else None

    def run() -> None:
        try:
            if cuda_device is not None:
                torch.cuda.set_device(cuda_device)
            outcome["value"] = decode()
        except BaseException as error:  # noqa: BLE001 - handed back to the caller as it is
            outcome["error"] = error
        finally:
            finished.set()

    helper = threading.Thread(target=run, name=f"temporal_ssl-decode {path}", daemon=True)
    helper.start()
    if not finished.wait(seconds):
        _abandoned[:] = [*stuck, helper]
        raise VideoDecodeError(path, f"decoding hung: stopped after {seconds:g} s (loader.decode_timeout_s); "
                                     "re-encode the file or remove it from the corpus")
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
