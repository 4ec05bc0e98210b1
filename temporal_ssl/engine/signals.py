"""SIGTERM / SIGINT turn into a polite request to stop: the loop finishes its step, saves and exits.

Cluster schedulers send SIGTERM before killing a job (and ``torchrun`` forwards it to every worker); Ctrl-C
sends SIGINT. The first signal only sets a flag, so the checkpoint is written by the loop at a step boundary;
the handler then steps aside, so a second signal interrupts at once (the atomic save still protects the
previous checkpoint).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from temporal_ssl.errors import TemporalSSLError

logger = logging.getLogger(__name__)


@dataclass
class StopRequest:
    """Which signal asked the run to stop, or ``None`` while nobody has."""

    signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        """The shell convention for "stopped by signal N": ``128 + N`` (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum if self.signum is not None else 0


class TrainingStopped(TemporalSSLError):
    """A training run inside a longer job (a fine-tune in an evaluation) was stopped by a signal.

    The checkpoint is saved; the job cannot go on without the trained model, so it stops here. A command
    catches it and exits with :attr:`exit_code`; running the command again continues the run.
    """

    def __init__(self, what: str, signum: int, checkpoint: Path | None) -> None:
        where = f"saved '{checkpoint}'" if checkpoint is not None else "no checkpoint was written"
        super().__init__(
            f"{what} stopped by {signal.Signals(signum).name} ({where}); run the same command again to "
            "continue where it stopped"
        )
        self.signum = signum
        self.checkpoint = checkpoint

    @property
    def exit_code(self) -> int:
        """``128 + signum``, the shell convention for a process stopped by a signal."""
        return 128 + self.signum


@contextlib.contextmanager
def stop_on_signals(signums: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> Iterator[StopRequest]:
    """Within the block, the first of ``signums`` sets the yielded :class:`StopRequest` instead of killing."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request  # handlers can only be installed from the main thread; run without them
        return
    previous = {s: signal.getsignal(s) for s in signums}

    def handle(signum: int, frame: FrameType | None) -> None:
        request.signum = signum
        logger.warning(
            "received %s: saving a checkpoint at the end of this step, then stopping "
            "(send it again to stop at once)",
            signal.Signals(signum).name,
        )
        for s, handler in previous.items():
            signal.signal(s, handler)

    for s in signums:
        signal.signal(s, handle)
    try:
        yield request
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
