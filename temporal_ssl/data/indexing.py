"""Build a ``VideoIndex`` from a dataset format: list the corpus, probe every file once (cached), report.

The probe cache lives beside the corpus, in ``<root>/.temporal_ssl/``, or under
``$XDG_CACHE_HOME/temporal_ssl`` when the root is read-only. Next to the cache each build writes
``quarantine.jsonl`` (files that cannot be decoded, with the reason) and ``missing.jsonl`` (videos the
annotations list that are absent).
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

from temporal_ssl.data.index import VideoIndex
from temporal_ssl.data.probe_cache import ProbeCache
from temporal_ssl.data.probing import probe_files, probe_one
from temporal_ssl.data.quarantine import QuarantinedVideo, write_jsonl
from temporal_ssl.data.sources.listing import SourceListing
from temporal_ssl.data.user_cache import user_cache_dir
from temporal_ssl.errors import DatasetError
from temporal_ssl.io.backends import require_backend
from temporal_ssl.registry import DATASETS
from temporal_ssl.types import CameraStream, VideoRecord

logger = logging.getLogger(__name__)

CACHE_FILE_NAME = "probe_cache.jsonl"


def build_index(format: str, root: str | Path, *, annotations: str | Path | None = None,
                options: Mapping[str, Any] | None = None, cache_dir: str | Path | None = None,
                workers: int | None = None, progress: bool = True, retry_failed: bool = False,
                verify_backends: Sequence[str] | None = None) -> VideoIndex:
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
                              retry_failed=retry_failed, verify_backends=verify_backends)


def index_from_listing(listing: SourceListing, *, cache_dir: str | Path | None = None,
                       workers: int | None = None, progress: bool = True,
                       retry_failed: bool = False,
                       verify_backends: Sequence[str] | None = None) -> VideoIndex:
    """Probe every file of a listing (through the cache) and turn its entries into records.

    An entry whose file (or any camera file) cannot be decoded is quarantined with the decoder's message.
    ``verify_backends`` is as for :func:`build_index`.
    """
    started = time.perf_counter()
    directory = Path(cache_dir) if cache_dir is not None else default_cache_dir(listing.root)
    cache = ProbeCache(directory / CACHE_FILE_NAME)
    files = [f for entry in listing.entries for f in entry.files]
    probe = None if verify_backends is None else partial(probe_one, backends=tuple(verify_backends))
    results = probe_files(files, cache=cache, workers=workers, progress=progress, retry_failed=retry_failed,
                          probe=probe)
    records: list[VideoRecord] = []
    quarantined: list[QuarantinedVideo] = []
    for entry in listing.entries:
        probed = [results[f].metadata for f in entry.files]
        streams = [m for m in probed if m is not None]
        if len(streams) < len(probed):
            reasons = [str(results[f].error) for f in entry.files if results[f].metadata is None]
            quarantined.append(QuarantinedVideo(entry.path, "; ".join(reasons)))
            continue
        cameras: tuple[CameraStream, ...] = ()
        if entry.cameras:
            offsets = entry.camera_offsets_seconds
            cameras = tuple(CameraStream(m, o) for m, o in zip(streams, offsets, strict=True))
        records.append(VideoRecord(index=len(records), metadata=streams[0], label=entry.label,
                                   class_name=entry.class_name, split=entry.split, cameras=cameras,
                                   annotations=dict(entry.annotations)))
    index = VideoIndex(tuple(records), listing.classes, tuple(quarantined), listing.missing,
                       format=listing.format, root=listing.root)
    write_jsonl(index.quarantined, directory / "quarantine.jsonl")
    write_jsonl(index.missing, directory / "missing.jsonl")
    if quarantined or listing.missing:
        logger.warning("%s: %d videos quarantined (cannot be decoded), %d listed but missing; see %s",
                       listing.root, len(quarantined), len(listing.missing), directory)
    logger.info("indexed %d videos of '%s' in %.2f s", len(records), listing.root,
                time.perf_counter() - started)
    return index


def default_cache_dir(root: str | Path) -> Path:
    """``<root>/.temporal_ssl`` if writable, else a per-root folder in ``$XDG_CACHE_HOME/temporal_ssl``."""
    root = Path(os.path.abspath(os.fspath(root)))
    beside = root / ".temporal_ssl"
    if os.access(beside if beside.is_dir() else root, os.W_OK):
        return beside
    return user_cache_dir("index") / (root.name + "-" + hashlib.sha1(str(root).encode()).hexdigest()[:12])
