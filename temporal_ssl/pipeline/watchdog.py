"""A time limit on decoding one sample, so a file that hangs the demuxer or decoder costs seconds, not a run.

The limit is a real-time interval timer (``SIGALRM``): when it fires, the handler raises a
``VideoDecodeError`` inside the decode, which the dataset then treats like any bad file (counted, recorded,
remembered, replaced). It covers every hang that returns control to Python now and then: a decoder looping
over frames, a read blocked on a stalled file system that the signal interrupts. Timers need the main thread
of a process, which is where DataLoader workers and the in-process loader run datasets; elsewhere (a
background prefetch thread) the limit is not applied.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from temporal_ssl.errors import VideoDecodeError


@contextmanager
def decode_time_limit(seconds: float | None, path: str) -> Iterator[None]:
    """Raise ``VideoDecodeError`` for ``path`` if the body runs over ``seconds`` (``None``: no limit)."""
    usable = (seconds is not None and seconds > 0 and hasattr(signal, "setitimer")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise VideoDecodeError(path, f"decoding hung: stopped after {seconds:g} s (loader.decode_timeout_s); "
                                     "re-encode the file or remove it from the corpus")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, float(seconds))  # type: ignore[arg-type]
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
