"""Probe many video files once each, in parallel processes, through the probe cache.

Only files whose size or modification time changed since the cached probe are decoded. Workers are started
with ``forkserver`` (not ``fork``): the parent has usually imported torch, and forking a process that holds
OpenMP or decoder threads can deadlock. (Scripts calling this therefore need the usual
``if __name__ == "__main__":`` guard.) Every failure becomes a result carrying the decoder's message, and a
worker that dies (a decoder crashing on a damaged file) costs only that file: the files it may have been
probing are re-probed one by one in fresh processes, and the one that kills its process again is quarantined.
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

_FLUSH_EVERY = 64
_FLUSH_SECONDS = 5.0
_MAX_CHUNK = 16  # files per task at most


def probe_one(path: str, backends: Sequence[str] | None = None) -> ProbeOutcome:
    """Probe one file with ``temporal_ssl.io.probe_video`` (verifying seeking for ``backends``, default all).

    Runs inside a worker process.
    A ``VideoDecodeError`` is the expected failure. Any other exception from a decoder library on a damaged
    file is caught too and recorded with its type, because one file must not end a build of a whole corpus.
    """
    from temporal_ssl.io import probe_video  # deferred: only workers need the decoders

    try:
        return probe_video(path, backends=backends).to_dict(), None
    except VideoDecodeError as error:
        return None, str(error)
    except Exception as error:  # noqa: BLE001 - see docstring: a damaged file must not end the build
        return None, f"cannot decode video '{path}': unexpected {type(error).__name__}: {error}"


def probe_files(paths: Sequence[str], *, cache: ProbeCache | None = None, workers: int | None = None,
                progress: bool = True, retry_failed: bool = False,
                probe: Callable[[str], ProbeOutcome] | None = None) -> dict[str, ProbeResult]:
    """Probe results for every path, from the cache where the file is unchanged, else by probing it.

    Args:
        paths: absolute file paths (duplicates are probed once).
        cache: where results are looked up and appended; ``None`` probes everything and keeps nothing.
        workers: parallel probing processes; ``None`` = the number of CPUs, ``<= 1`` probes in this process.
        progress: show a progress bar over the files being probed.
        retry_failed: probe again files whose cached probe failed (e.g. after installing a missing codec).
        probe: the function run on each file, :func:`probe_one` when ``None`` (a module-level function, so
            worker processes can import it).
    """
    results: dict[str, ProbeResult] = {}
    pending: list[_Item] = []
    for path in dict.fromkeys(paths):
        try:
            stat = os.stat(path)
        except OSError as error:
            results[path] = ProbeResult(path, -1, -1, None, f"cannot read '{path}': {error.strerror}")
            continue
        cached = None if cache is None else cache.lookup(path, stat.st_size, stat.st_mtime_ns)
        if cached is not None and not (retry_failed and cached.error is not None):
            results[path] = cached
        else:
            pending.append((path, stat.st_size, stat.st_mtime_ns))
    if pending:
        logger.info("probing %d of %d files (%d from the cache)", len(pending), len(results) + len(pending),
                    len(results))
        results.update(_probe_pending(pending, cache, workers or usable_cpus(), progress,
                                      probe or probe_one))
        if cache is not None:
            cache.compact()
    else:
        logger.info("all %d files answered by the probe cache", len(results))
    return results


def _probe_pending(pending: list[_Item], cache: ProbeCache | None, workers: int, progress: bool,
                   probe: Callable[[str], ProbeOutcome]) -> dict[str, ProbeResult]:
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
            _probe_in_processes(pending, workers, probe, collect)
    finally:
        bar.close()
        if cache is not None:
            cache.append(unsaved)  # keep what was probed, even when interrupted
    return results


def _probe_in_processes(pending: list[_Item], workers: int, probe: Callable[[str], ProbeOutcome],
                        collect: _Collect) -> None:
    """Probe in a process pool; when a worker dies, isolate the files it may have held and carry on."""
    remaining = pending
    while remaining:
        suspects, remaining = _run_pool(remaining, min(workers, len(remaining)), probe, collect)
        if suspects:
            logger.warning("a probing process died; probing the %d files it may have held one by one",
                           len(suspects))
        for item in suspects:
            crashed, _ = _run_pool([item], 1, probe, collect)
            if crashed:
                logger.warning("probing '%s' kills the decoder process; quarantining it", item[0])
                reason = f"cannot decode video '{item[0]}': the decoder crashed (its process died)"
                collect(item, (None, reason))


def _probe_chunk(probe: Callable[[str], ProbeOutcome], paths: list[str]) -> list[ProbeOutcome]:
    """Probe several files in one task: short files take a few milliseconds, about what a task's round trip
    between processes costs."""
    return [probe(path) for path in paths]


def _run_pool(items: list[_Item], workers: int, probe: Callable[[str], ProbeOutcome],
              collect: _Collect) -> tuple[list[_Item], list[_Item]]:
    """Probe ``items`` with ``workers`` processes, one chunk of files per worker in flight.

    Returns ``(suspects, not_started)``: both empty when all went well; after a worker died, the items that
    were in flight (one of them killed it) and those never submitted.
    """
    context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
    if os.name == "posix":
        # Workers fork from a server that imported the decoders once, instead of each importing them.
        context.set_forkserver_preload(["temporal_ssl.data.probing", "temporal_ssl.io"])
    # Chunks small enough that every worker gets several (balance, progress) and a crash re-probes few files.
    size = max(1, min(_MAX_CHUNK, len(items) // (workers * 8)))
    queue = deque(items[start:start + size] for start in range(0, len(items), size))
    in_flight: dict[Future[list[ProbeOutcome]], list[_Item]] = {}
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        while queue or in_flight:
            while queue and len(in_flight) < workers:
                chunk = queue.popleft()
                in_flight[pool.submit(_probe_chunk, probe, [item[0] for item in chunk])] = chunk
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                try:
                    outcomes = future.result()
                except BrokenProcessPool:
                    broken = True
                    continue
                for item, outcome in zip(in_flight.pop(future), outcomes, strict=True):
                    collect(item, outcome)
            if broken:
                pool.shutdown(wait=False, cancel_futures=True)
                return ([item for chunk in in_flight.values() for item in chunk],
                        [item for chunk in queue for item in chunk])
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [], []
