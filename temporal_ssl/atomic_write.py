"""Write a file so that no reader ever sees half of it, even with several processes writing it at once.

The content goes to a temporary file in the same folder, named uniquely for this process and call, which is
then renamed onto the final name with ``os.replace`` (atomic on POSIX). A crash leaves the previous file
intact; two jobs that write the same file (two runs sharing a cache) each rename their own complete copy, so
the last one wins and neither trips over the other's temporary file.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_path(path: str | Path, *, durable: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` if the block succeeds, else is removed.

    ``durable`` also fsyncs the file and its folder, so the new content survives a power cut (checkpoints).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        if durable:
            _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if durable:
        with contextlib.suppress(OSError):  # folders cannot be opened everywhere; the rename still happened
            _fsync(path.parent)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, durable: bool = False) -> Iterator[IO[Any]]:
    """``open`` for writing (``"w"`` or ``"wb"``) through :func:`atomic_path`: ``path`` changes only when the
    block succeeds."""
    if mode not in ("w", "wb"):
        raise ValueError(f"mode {mode!r}: atomic_open writes a whole new file ('w' or 'wb')")
    encoding = None if "b" in mode else "utf-8"
    with atomic_path(path, durable=durable) as tmp, open(tmp, mode, encoding=encoding) as handle:
        yield handle


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns ``path``."""
    with atomic_open(path) as handle:
        handle.write(text)
    return Path(path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
