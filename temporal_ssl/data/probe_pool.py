"""Probe many video files once each, in parallel processes, through the probe cache.

Only files whose size or modification time changed since the cached probe are decoded. Workers are started
with ``forkserver`` (not ``fork``): the parent has usually imported torch, and forking a process that holds
OpenMP or decoder threads can deadlock. (Scripts calling this therefore need the usual
``if __name__ == "__main__":`` guard.) Every failure becomes a result carrying the decoder's message, and a
worker that dies (a decoder crashing on a damaged file) costs only that file: the files it may have been
probing are re-probed one by one in fresh processes, and the one that kills its process again is quarantined.
A file that hangs the demuxer or decoder is caught by a watchdog: each worker notes in shared memory which
file it is probing and since when, and a file still running after ``timeout_s`` has its pool stopped and is
quarantined; the other files in flight go back to the queue.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from typing import Any

from tqdm import tqdm

from temporal_ssl.cpus import usable_cpus
from temporal_ssl.data.probe_cache import ProbeCache, ProbeResult
from temporal_ssl.errors import VideoDecodeError
from temporal_ssl.types import VideoMetadata

logger = logging.getLogger(__name__)

ProbeOutcome = tuple[dict[str, Any] | None, str | None]
"""``(metadata as a dict, None)`` on success, ``(None, reason)`` on failure."""
_Item = tuple[str, int, int]  # path, size, mtime_ns
_Collect = Callable[[_Item, ProbeOutcome], None]

DEFAULT_TIMEOUT_S = 600.0
"""Seconds one file may take to probe before it counts as hanging (ample for an hour of video)."""
_FLUSH_EVERY = 64
_FLUSH_SECONDS = 5.0
_MAX_CHUNK = 16  # files per task at most


def probe_one(path: str, backends: Sequence[str] | None = None, force_full: bool = False) -> ProbeOutcome:
    """Probe one file with ``temporal_ssl.io.probe_video`` (verifying seeking for ``backends``, default all;
    ``force_full`` decodes every frame even where the packets would do).

    Runs inside a worker process.
    A ``VideoDecodeError`` is the expected failure. Any other exception from a decoder library on a damaged
    file is caught too and recorded with its type, because one file must not end a build of a whole corpus.
    """
    from temporal_ssl.io import probe_video  # deferred: only workers need the decoders

    try:
        return probe_video(path, backends=backends, force_full=force_full).to_dict(), None
    except VideoDecodeError as error:
        return None, str(error)
    except Exception as error:  # noqa: BLE001 - see docstring: a damaged file must not end the build
        return None, f"cannot decode video '{path}': unexpected {type(error).__name__}: {error}"


def probe_files(paths: Sequence[str], *, cache: ProbeCache | None = None, workers: int | None = None,
                progress: bool = True, retry_failed: bool = False,
                probe: Callable[[str], ProbeOutcome] | None = None,
                timeout_s: float | None = DEFAULT_TIMEOUT_S, keep: bool = True) -> dict[str, ProbeResult]:
    """Probe results for every path, from the cache where the file is unchanged, else by probing it.

    Args:
        paths: absolute file paths (duplicates are probed once).
        cache: where results are looked up and appended; ``None`` probes everything and keeps nothing.
        workers: parallel probing processes; ``None`` = the number of CPUs, ``<= 1`` probes in this process.
        progress: show a progress bar over the files being probed.
        retry_failed: probe again files whose cached probe failed (e.g. after installing a missing codec).
        probe: the function run on each file, :func:`probe_one` when ``None`` (a module-level function, so
            worker processes can import it).
        timeout_s: seconds a file may take before it is stopped and quarantined as hanging (``None``: no
            limit). Probing in this process (``workers <= 1``) has no watchdog.
        keep: return every result; ``False`` returns only failures and leaves the successes in ``cache``
            (``cache.latest(path)``), so a corpus of a million files is never held in memory as objects.
    """
    if not keep and cache is None:
        raise ValueError("probe_files(keep=False) needs a cache to leave the results in")
    results: dict[str, ProbeResult] = {}
    answered = 0
    pending: list[_Item] = []
    for path in dict.fromkeys(paths):
        try:
            stat = os.stat(path)
        except OSError as error:
            results[path] = ProbeResult(path, -1, -1, None, f"cannot read '{path}': {error.strerror}")
            continue
        outcome = None if cache is None else cache.outcome(path, stat.st_size, stat.st_mtime_ns)
        if outcome is None or (retry_failed and outcome == "failed"):
            pending.append((path, stat.st_size, stat.st_mtime_ns))
            continue
        answered += 1
        if keep or outcome == "failed":
            results[path] = cache.latest(path)  # type: ignore[union-attr, assignment]
    if pending:
        logger.info("probing %d of %d files (%d from the cache)", len(pending), answered + len(pending),
                    answered)
        probed = _probe_pending(pending, cache, workers or usable_cpus(), progress, probe or probe_one,
                                timeout_s)
        results.update(probed if keep else {p: r for p, r in probed.items() if r.metadata is None})
        if cache is not None:
            cache.compact()
    else:
        logger.info("all %d files answered by the probe cache", answered)
    return results


def _probe_pending(pending: list[_Item], cache: ProbeCache | None, workers: int, progress: bool,
                   probe: Callable[[str], ProbeOutcome], timeout_s: float | None) -> dict[str, ProbeResult]:
    """Probe the files the cache did not answer, appending results to it in small batches as they arrive."""
    results: dict[str, ProbeResult] = {}
    unsaved: list[ProbeResult] = []
    last_flush = time.monotonic()
    bar = tqdm(total=len(pending), desc="probing videos", unit="video", disable=not progress,
               dynamic_ncols=True)

    def collect(item: _Item, outcome: ProbeOutcome) -> None:
        nonlocal last_flush
        path, size, mtime_ns = item
        metadata = None
        if outcome[0] is not None:
            metadata = replace(VideoMetadata.from_dict(outcome[0]), path=path, file_size=size,
                               mtime_ns=mtime_ns)
        result = ProbeResult(path, size, mtime_ns, metadata, outcome[1])
        results[path] = result
        unsaved.append(result)
        bar.update(1)
        due = len(unsaved) >= _FLUSH_EVERY or time.monotonic() - last_flush > _FLUSH_SECONDS
        if cache is not None and due:
            cache.append(unsaved)
            unsaved.clear()
            last_flush = time.monotonic()

    try:
        if workers <= 1 or len(pending) == 1:
            for item in pending:
                collect(item, probe(item[0]))
        else:
            _probe_in_processes(pending, workers, probe, collect, timeout_s)
    finally:
        bar.close()
        if cache is not None:
            cache.append(unsaved)  # keep what was probed, even when interrupted
    return results


def _probe_in_processes(pending: list[_Item], workers: int, probe: Callable[[str], ProbeOutcome],
                        collect: _Collect, timeout_s: float | None) -> None:
    """Probe in a process pool; when a worker dies, isolate the files it may have held and carry on; when a
    file hangs, quarantine it and carry on with the rest."""
    remaining = pending
    while remaining:
        suspects, remaining = _run_pool(remaining, min(workers, len(remaining)), probe, collect, timeout_s)
        if suspects:
            logger.warning("a probing process died; probing the %d files it may have held one by one",
                           len(suspects))
        for item in suspects:
            crashed, _ = _run_pool([item], 1, probe, collect, timeout_s)
            if crashed:
                logger.warning("probing '%s' kills the decoder process; quarantining it", item[0])
                reason = f"cannot decode video '{item[0]}': the decoder crashed (its process died)"
                collect(item, (None, reason))


# Set in each worker by ``_claim_slot``: where it notes (file number, start time) of the file it probes.
_SLOT: tuple[Any, int] | None = None


def _claim_slot(board: Any, counter: Any) -> None:
    """Pool initializer: take the next free slot of the shared watchdog board."""
    global _SLOT
    with counter.get_lock():
        slot = counter.value
        counter.value += 1
    _SLOT = (board, slot)


def _probe_chunk(probe: Callable[[str], ProbeOutcome], chunk: list[tuple[int, str]]) -> list[ProbeOutcome]:
    """Probe several files in one task (short files take a few milliseconds, about what a task's round trip
    between processes costs), noting each file and its start time on the watchdog board."""
    outcomes = []
    for number, path in chunk:
        if _SLOT is not None:
            board, slot = _SLOT
            board[2 * slot], board[2 * slot + 1] = float(number), time.monotonic()
        outcomes.append(probe(path))
    if _SLOT is not None:
        _SLOT[0][2 * _SLOT[1]] = -1.0
    return outcomes


def _run_pool(items: list[_Item], workers: int, probe: Callable[[str], ProbeOutcome],
              collect: _Collect, timeout_s: float | None) -> tuple[list[_Item], list[_Item]]:
    """Probe ``items`` with ``workers`` processes, one chunk of files per worker in flight.

    Returns ``(suspects, not_started)``: both empty when all went well; after a worker died, the items that
    were in flight (one of them killed it) and those never submitted. A file that outlives ``timeout_s`` is
    collected as quarantined and the others in flight are returned as not started.
    """
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    if os.name == "posix":
        # Workers fork from a server that imported the decoders once, instead of each importing them.
        context.set_forkserver_preload(["temporal_ssl.data.probe_pool", "temporal_ssl.io.backend_preload"])
    board = context.Array("d", [-1.0, 0.0] * workers, lock=False)
    counter = context.Value("i", 0)
    # Chunks small enough that every worker gets several (balance, progress) and a crash re-probes few files.
    size = max(1, min(_MAX_CHUNK, len(items) // (workers * 8)))
    numbers = list(range(len(items)))
    queue = deque(numbers[start:start + size] for start in range(0, len(items), size))
    in_flight: dict[Future[list[ProbeOutcome]], list[int]] = {}
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_claim_slot,
                               initargs=(board, counter))
    try:
        while queue or in_flight:
            broken = False
            while queue and len(in_flight) < workers:
                chunk = queue.popleft()
                try:
                    future = pool.submit(_probe_chunk, probe, [(n, items[n][0]) for n in chunk])
                except BrokenProcessPool:  # a worker died since the last wait: this chunk never started
                    queue.appendleft(chunk)
                    broken = True
                    break
                in_flight[future] = chunk
            done, _ = wait(in_flight, timeout=None if timeout_s is None else min(1.0, timeout_s / 4),
                           return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    outcomes = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                for number, outcome in zip(in_flight.pop(future), outcomes, strict=True):
                    collect(items[number], outcome)
            hung = [] if broken or timeout_s is None else _hung_files(board, timeout_s)
            if broken or hung:
                _stop(pool)
                flying = [n for chunk in in_flight.values() for n in chunk]
                for number in hung:
                    logger.warning("probing '%s' took over %g s; stopped it and quarantined the file",
                                   items[number][0], timeout_s)
                    collect(items[number], (None, f"cannot decode video '{items[number][0]}': probing hung "
                                                  f"(stopped after {timeout_s:g} s)"))
                rest = [items[n] for chunk in queue for n in chunk]
                if broken:
                    return [items[n] for n in flying], rest
                return [], [items[n] for n in flying if n not in hung] + rest
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return [], []


def _hung_files(board: Any, timeout_s: float) -> list[int]:
    """Numbers of the files some worker has been probing for longer than ``timeout_s``."""
    now = time.monotonic()
    return [int(board[i]) for i in range(0, len(board), 2)
            if board[i] >= 0 and now - board[i + 1] > timeout_s]


def _stop(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now, killing its workers (a hung decoder never returns to take a polite request)."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
