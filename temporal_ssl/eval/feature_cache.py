"""Features are computed once: a cache keyed by the weights, the pooling, the views and the exact videos.

The key is a SHA-256 over the request's ``cache_id`` (weights hash + pooling), the views (clips, crops,
clip length, stride, resize/crop/normalisation), the storage dtype, and every video's path, size, modification
time, frame count and label — so editing, adding or relabeling a video, or changing any view setting, computes
afresh. Files are written atomically; an unreadable cache file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import torch

from temporal_ssl.config import to_dict
from temporal_ssl.data.user_cache import user_cache_dir
from temporal_ssl.engine.checkpoint import save_atomic
from temporal_ssl.engine.distributed import broadcast_from_main, current_context
from temporal_ssl.errors import ConfigError
from temporal_ssl.eval.config import ClipViews, ExtractionConfig
from temporal_ssl.eval.features import FeatureRequest, FeatureSet, extract_features
from temporal_ssl.types import VideoRecord

logger = logging.getLogger(__name__)

CACHE_VERSION = 1
"""Bumped whenever cached features would be computed differently for the same key."""


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/temporal_ssl/features`` (``~/.cache/...`` when the variable is unset)."""
    return user_cache_dir("features")


def records_fingerprint(records: Sequence[VideoRecord]) -> str:
    """A SHA-256 over what identifies each video's content and label, in order."""
    digest = hashlib.sha256()
    for record in records:
        meta = record.metadata
        digest.update(
            json.dumps([meta.path, meta.file_size, meta.mtime_ns, meta.num_frames, record.label]).encode()
        )
    return digest.hexdigest()


def feature_cache_key(
    cache_id: str, records: Sequence[VideoRecord], views: ClipViews, feature_dtype: str
) -> str:
    """The cache file name (without suffix) of one request's features on ``records`` with ``views``."""
    payload = json.dumps(
        {
            "version": CACHE_VERSION,
            "id": cache_id,
            "views": to_dict(views),
            "dtype": feature_dtype,
            "records": records_fingerprint(records),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def save_feature_set(features: FeatureSet, path: str | Path) -> Path:
    """Write ``features`` (tensors and video index) to a ``.pt`` file, atomically."""
    return save_atomic(
        {
            "features": features.features,
            "labels": features.labels,
            "paths": list(features.paths),
            "num_clips": features.num_clips,
            "num_crops": features.num_crops,
            "failed_paths": list(features.failed_paths),
        },
        path,
    )


def load_feature_set(path: str | Path) -> FeatureSet:
    """Read a file written by :func:`save_feature_set`."""
    data = torch.load(path, map_location="cpu", weights_only=True)
    return FeatureSet(
        data["features"],
        data["labels"],
        tuple(data["paths"]),
        int(data["num_clips"]),
        int(data["num_crops"]),
        tuple(data["failed_paths"]),
    )


def cached_features(
    requests: Sequence[FeatureRequest],
    records: Sequence[VideoRecord],
    views: ClipViews,
    *,
    extraction: ExtractionConfig,
    device: torch.device | str = "cpu",
    description: str = "features",
    output_dir: str | Path | None = None,
) -> dict[str, FeatureSet]:
    """:func:`~temporal_ssl.eval.features.extract_features`, reading and writing the feature cache.

    Requests found in the cache are loaded; the others are computed together in one decoding pass and saved
    (when ``extraction.cache`` is on and the request has a ``cache_id``). Under ``torchrun`` rank 0 reads and
    writes the cache, every rank loads what rank 0 found, and the rest is extracted sharded over the ranks.
    """
    cache_dir = Path(extraction.cache_dir).expanduser() if extraction.cache_dir else default_cache_dir()
    keys = {
        request.name: cache_dir
        / f"{feature_cache_key(request.cache_id, records, views, extraction.feature_dtype)}.pt"
        for request in requests
        if extraction.cache and request.cache_id is not None
    }
    ctx = current_context(device)
    found = _read_cache(keys, description) if ctx.is_main else {}
    hits = broadcast_from_main(sorted(found))  # rank 0 decides, so every rank computes the same requests
    if not ctx.is_main:
        found = {name: _read_cache_on_every_rank(keys[name], ctx.rank) for name in hits}
    missing = [request for request in requests if request.name not in found]
    if missing:
        computed = extract_features(
            missing,
            records,
            views,
            extraction=extraction,
            device=device,
            description=description,
            output_dir=output_dir,
        )
        if ctx.is_main:
            for name, features in computed.items():
                if name in keys:
                    save_feature_set(features, keys[name])
        found.update(computed)
    return {request.name: found[request.name] for request in requests}


def _read_cache(keys: dict[str, Path], description: str) -> dict[str, FeatureSet]:
    """The cached feature sets that exist and read cleanly (an unreadable file is computed again)."""
    found: dict[str, FeatureSet] = {}
    for name, path in keys.items():
        if not path.is_file():
            continue
        try:
            found[name] = load_feature_set(path)
            logger.info("%s: cached features of '%s' from %s", description, name, path)
        except (RuntimeError, EOFError, OSError, KeyError, ValueError) as error:
            logger.warning("ignoring unreadable feature cache '%s' (%s); computing again", path, error)
    return found


def _read_cache_on_every_rank(path: Path, rank: int) -> FeatureSet:
    """A cache file rank 0 read: every rank must see it (the cache folder is shared by every process)."""
    try:
        return load_feature_set(path)
    except (RuntimeError, EOFError, OSError, KeyError, ValueError) as error:
        raise ConfigError(
            f"rank {rank} cannot read the feature cache '{path}' that rank 0 read ({error}); put "
            "extraction.cache_dir on a filesystem every process of the job shares, or set "
            "extraction.cache=false"
        ) from None
