"""Build a ``VideoIndex`` from a dataset format: list the corpus, probe every file once (cached), report.

The probe cache lives beside the corpus, in ``<root>/.temporal_ssl/``, or under
``$XDG_CACHE_HOME/temporal_ssl`` when the root is read-only. Next to the cache each build writes
``quarantine.jsonl`` (files that cannot be decoded, with the reason) and ``missing.jsonl`` (videos the
annotations list that are absent).

A corpus too large for one machine is indexed in shards: ``shard=(i, n)`` probes the ``i``-th of ``n``
contiguous parts of the listing (each shard writes its own probe-cache file, so shards may share a cache
folder), and :func:`merge_indexes` joins the saved shards into exactly the index one process would have
built: the same records in the same order.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from temporal_ssl.data.index import VideoIndex
from temporal_ssl.data.probe_cache import ProbeCache
from temporal_ssl.data.probe_pool import DEFAULT_TIMEOUT_S, probe_files, probe_one
from temporal_ssl.data.quarantine import QuarantinedVideo, write_jsonl
from temporal_ssl.data.record_table import RecordTable, concat_tables, table_builder
from temporal_ssl.data.sources.listing import SourceListing
from temporal_ssl.data.user_cache import user_cache_dir
from temporal_ssl.errors import DatasetError
from temporal_ssl.io.backends import require_backend
from temporal_ssl.registry import DATASETS
from temporal_ssl.types import CameraStream, VideoRecord

Shard = tuple[int, int]
"""``(i, n)``: the ``i``-th (from 0) of ``n`` contiguous parts of a corpus listing."""

logger = logging.getLogger(__name__)

CACHE_FILE_NAME = "probe_cache.jsonl"


def build_index(format: str, root: str | Path, *, annotations: str | Path | None = None,
                options: Mapping[str, Any] | None = None, cache_dir: str | Path | None = None,
                workers: int | None = None, progress: bool = True, retry_failed: bool = False,
                verify_backends: Sequence[str] | None = None, shard: Shard | None = None,
                timeout_s: float | None = DEFAULT_TIMEOUT_S, full_probe: bool = False) -> VideoIndex:
    """List a corpus with the reader registered as ``format`` and probe it into an index.

    Probing runs in ``forkserver`` worker processes, so a script calling this needs the usual
    ``if __name__ == "__main__":`` guard.

    Args:
        format: a ``DATASETS`` name: ``folder``, ``list``, ``ucf101``, ``hmdb51``, ``kinetics``, ``ssv2``,
            ``multicamera`` (or a plugin's).
        root: the video root of the corpus.
        annotations: split/annotation file or folder, for formats that take one.
        options: further reader options, e.g. ``{"split": 2}``; unknown keys raise ``ConfigError``.
        cache_dir: where the probe cache and reports go (default: beside the corpus, see module docstring).
        workers: parallel probing processes (default: the number of CPUs).
        progress: show a progress bar while probing.
        retry_failed: probe again files whose earlier probe failed.
        verify_backends: backends whose seeking the probe verifies (default: every installed one). Readers of
            a backend left out decode such files linearly from frame 0: still exact, slower on long videos.
            Probe results already cached are reused as they are.
        shard: index only part ``(i, n)`` of the listing; join the saved parts with :func:`merge_indexes`.
        timeout_s: seconds one file may take to probe before its process is stopped and the file quarantined
            (``None``: no limit; probing in this process, ``workers=1``, has no limit either).
        full_probe: decode every frame of every file (exact motion profiles) instead of probing from the
            packets where they can vouch for the file.
    """
    for name in verify_backends or ():
        require_backend(name)  # before any probing: a wrong name would otherwise quarantine every file
    fixed: dict[str, Any] = {"root": root}
    if annotations is not None:
        accepted = DATASETS.option_names(format)
        if accepted is not None and "annotations" not in accepted:
            raise DatasetError(f"format '{format}' reads no annotation file; drop --annotations "
                               f"(formats that take one: ucf101, hmdb51, kinetics, ssv2, list)")
        fixed["annotations"] = annotations
    listing: SourceListing = DATASETS.build(format, options, where="data", **fixed)
    return index_from_listing(listing, cache_dir=cache_dir, workers=workers, progress=progress,
                              retry_failed=retry_failed, verify_backends=verify_backends, shard=shard,
                              timeout_s=timeout_s, full_probe=full_probe)


def index_from_listing(listing: SourceListing, *, cache_dir: str | Path | None = None,
                       workers: int | None = None, progress: bool = True,
                       retry_failed: bool = False,
                       verify_backends: Sequence[str] | None = None, shard: Shard | None = None,
                       timeout_s: float | None = DEFAULT_TIMEOUT_S, full_probe: bool = False) -> VideoIndex:
    """Probe every file of a listing (through the cache) and turn its entries into records.

    An entry whose file (or any camera file) cannot be decoded is quarantined with the decoder's message.
    ``verify_backends``, ``shard``, ``timeout_s`` and ``full_probe`` are as for :func:`build_index`.
    """
    started = time.perf_counter()
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir(listing.root)
    entries = listing.entries
    cache_name = CACHE_FILE_NAME
    if shard is not None:
        entries = entries[slice(*shard_bounds(len(entries), shard))]
        cache_name = f"probe_cache.shard-{shard[0]}-of-{shard[1]}.jsonl"
    cache = ProbeCache(directory / cache_name)
    files = [f for entry in entries for f in entry.files]
    probe = None
    if verify_backends is not None or full_probe:
        backends = None if verify_backends is None else tuple(verify_backends)
        probe = partial(probe_one, backends=backends, force_full=full_probe)
    failures = probe_files(files, cache=cache, workers=workers, progress=progress, retry_failed=retry_failed,
                           probe=probe, timeout_s=timeout_s, keep=False)  # successes stay in the cache
    records = table_builder()
    quarantined: list[QuarantinedVideo] = []
    for entry in entries:
        results = {f: failures.get(f) or cache.latest(f) for f in entry.files}
        probed = [results[f].metadata for f in entry.files]  # type: ignore[union-attr]
        streams = [m for m in probed if m is not None]
        if len(streams) < len(probed):
            reasons = [str(results[f].error) for f in entry.files if results[f].metadata is None]  # type: ignore[union-attr]
            quarantined.append(QuarantinedVideo(entry.path, "; ".join(reasons)))
            continue
        cameras: tuple[CameraStream, ...] = ()
        if entry.cameras:
            offsets = entry.camera_offsets_seconds
            cameras = tuple(CameraStream(m, o) for m, o in zip(streams, offsets, strict=True))
        records.add(VideoRecord(index=records.count, metadata=streams[0], label=entry.label,
                                class_name=entry.class_name, split=entry.split, cameras=cameras,
                                annotations=dict(entry.annotations)))
    missing = listing.missing if shard is None or shard[0] == 0 else ()
    index = VideoIndex(records.finish(), listing.classes, tuple(quarantined), missing,
                       format=listing.format, root=listing.root, shard=shard)
    write_jsonl(index.quarantined, directory / "quarantine.jsonl")
    write_jsonl(index.missing, directory / "missing.jsonl")
    if quarantined or listing.missing:
        logger.warning("%s: %d videos quarantined (cannot be decoded), %d listed but missing; see %s",
                       listing.root, len(quarantined), len(listing.missing), directory)
    logger.info("indexed %d videos of '%s' in %.2f s", len(index), listing.root,
                time.perf_counter() - started)
    return index


def shard_bounds(num_entries: int, shard: Shard) -> tuple[int, int]:
    """``(start, stop)`` of shard ``(i, n)`` among ``num_entries`` listing entries (contiguous parts)."""
    i, n = shard
    if not (isinstance(i, int) and isinstance(n, int) and 0 <= i < n):
        raise DatasetError(f"shard {i}/{n} is not valid: write it as i/n with 0 <= i < n, e.g. 0/4 ... 3/4")
    return num_entries * i // n, num_entries * (i + 1) // n


def merge_indexes(parts: Sequence[VideoIndex | str | Path]) -> VideoIndex:
    """Join the shards ``0/n ... n-1/n`` of one corpus (indexes or saved files, any order) into the index
    a single process builds: records in listing order, numbered from 0.

    Raises:
        DatasetError: a shard is missing, repeated, or from another corpus or shard count.
    """
    indexes = [p if isinstance(p, VideoIndex) else VideoIndex.load(p) for p in parts]
    shards = [i.shard for i in indexes]
    if not indexes or any(s is None for s in shards):
        raise DatasetError("merge_indexes needs indexes built with shard=(i, n); got "
                           f"{[None if s is None else f'{s[0]}/{s[1]}' for s in shards]}")
    count = shards[0][1]  # type: ignore[index]
    found = sorted(s[0] for s in shards)  # type: ignore[index]
    if found != list(range(count)) or any(s[1] != count for s in shards):  # type: ignore[index]
        raise DatasetError(f"merge_indexes needs each shard 0/{count} ... {count - 1}/{count} once; got "
                           f"{', '.join(f'{s[0]}/{s[1]}' for s in shards)}")  # type: ignore[index]
    if len({(i.root, i.format, i.classes) for i in indexes}) > 1:
        raise DatasetError("merge_indexes got shards of different corpora (root, format or classes differ)")
    indexes.sort(key=lambda i: i.shard[0])  # type: ignore[index]
    table = concat_tables([i.records for i in indexes])
    table = RecordTable.renumbered(table, np.arange(len(table), dtype=np.int64))
    first = indexes[0]
    return VideoIndex(table, first.classes, tuple(q for i in indexes for q in i.quarantined),
                      tuple(m for i in indexes for m in i.missing), format=first.format, root=first.root)


def default_cache_dir(root: str | Path) -> Path:
    """``<root>/.temporal_ssl`` if writable, else a per-root folder in ``$XDG_CACHE_HOME/temporal_ssl``."""
    root = Path(os.path.abspath(os.fspath(root)))
    beside = root / ".temporal_ssl"
    if os.access(beside if beside.is_dir() else root, os.W_OK):
        return beside
    return user_cache_dir("index") / (root.name + "-" + hashlib.sha1(str(root).encode()).hexdigest()[:12])
