"""Nearest-neighbour video retrieval, exactly VCOP's protocol (Xu et al. 2019, their ``retrieve_clips.py``).

Every video's feature is the mean of its clips' features (10 uniform clips of 16 frames, ``vcop_map``
pooling: the last feature map after a ``(1, 2, 2)`` max-pool, flattened). Test videos query the training
videos by cosine distance; a query is correct at ``k`` if ANY of its ``k`` nearest training videos has the
query's class. Reported for k ∈ {1, 5, 10, 20, 50}.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from temporal_ssl.eval.config import RetrievalConfig
from temporal_ssl.eval.features import FeatureSet
from temporal_ssl.eval.linear_probe import fit_scaler


def nearest_gallery(
    queries: torch.Tensor, gallery: torch.Tensor, k: int, *, chunk_size: int = 1024
) -> torch.Tensor:
    """int64 ``[Q, k]``: gallery positions sorted by cosine distance to each query (nearest first).

    Equal distances keep gallery order (a stable sort, as ``np.argsort`` in VCOP's code is for ties in
    practice), so results do not depend on the platform.
    """
    queries = F.normalize(queries.float(), dim=1)
    gallery = F.normalize(gallery.float(), dim=1)
    k = min(k, gallery.shape[0])
    out = []
    for start in range(0, queries.shape[0], chunk_size):
        distance = 1.0 - queries[start : start + chunk_size] @ gallery.T
        out.append(distance.argsort(dim=1, stable=True)[:, :k])
    return torch.cat(out)


def retrieval_topk(
    queries: torch.Tensor,
    query_labels: torch.Tensor,
    gallery: torch.Tensor,
    gallery_labels: torch.Tensor,
    topk: Sequence[int] = (1, 5, 10, 20, 50),
) -> dict[int, float]:
    """``{k: fraction of queries with a same-class video among their k nearest gallery videos}``."""
    nearest = nearest_gallery(queries, gallery, max(topk))
    same_class = gallery_labels[nearest] == query_labels[:, None]  # [Q, k_max]
    hit_by = same_class.cummax(dim=1).values  # hit within the first j+1 neighbours
    return {k: float(hit_by[:, min(k, nearest.shape[1]) - 1].float().mean()) for k in topk}


def run_retrieval(train: FeatureSet, test: FeatureSet, *, config: RetrievalConfig) -> dict[int, float]:
    """VCOP top-k retrieval of the test videos (queries) in the training videos (gallery)."""
    gallery, queries = train.video_features(), test.video_features()
    if config.standardize:
        scaler = fit_scaler(gallery)
        gallery, queries = scaler(gallery), scaler(queries)
    return retrieval_topk(queries, test.labels, gallery, train.labels, config.topk)
