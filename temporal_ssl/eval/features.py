"""Frozen features of labeled videos: ``N`` uniform clips × ``M`` crops each, one decode per video.

Several feature functions (several encoders, poolings, or a classifier's logits) run on the same decoded
batch, so comparing a pretrained encoder with its baselines decodes the corpus once. Videos that fail to
decode are left out, counted and named in :attr:`FeatureSet.failed_paths` (and ``bad_videos.jsonl``).

Under ``torchrun`` (a process group already joined) rank ``r`` of ``W`` extracts videos ``r, r + W, ...``
and the shards are gathered onto every rank in the order of the records, so every rank holds the same
features a single process would compute, and the evaluation that follows (linear probe, k-NN, retrieval)
gives every rank the single process's metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn
from tqdm import tqdm

from temporal_ssl.cpus import threads_beside_workers
from temporal_ssl.engine.distributed import current_context, gather_to_all
from temporal_ssl.engine.step import resolve_amp
from temporal_ssl.errors import DatasetError
from temporal_ssl.eval.config import ClipViews, ExtractionConfig, FeaturePooling
from temporal_ssl.eval.encoders import weights_sha256
from temporal_ssl.pipeline.bad_videos import BAD_VIDEOS_FILENAME, BadVideoLog
from temporal_ssl.pipeline.eval_clips import ClipBatch, EvalClipDataset, build_eval_loader
from temporal_ssl.types import VideoRecord

logger = logging.getLogger(__name__)

FeatureFunction = Callable[[torch.Tensor], torch.Tensor]
"""Maps clips float ``[B, C, T, H, W]`` to one vector per clip ``[B, F]``."""


@dataclass
class FeatureSet:
    """Per-view features of a list of videos.

    Args:
        features: ``[V, K, F]``: video ``v``, view ``k = n·M + m`` (clip ``n``, crop ``m``), ``F`` values.
        labels: int64 ``[V]`` (``-1`` for unlabeled videos).
        paths: the ``V`` video paths, in the order of ``features``.
        num_clips, num_crops: ``N`` and ``M`` (``K = N·M``).
        failed_paths: videos that could not be decoded (not in ``features``).
    """

    features: torch.Tensor
    labels: torch.Tensor
    paths: tuple[str, ...]
    num_clips: int
    num_crops: int
    failed_paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.features.ndim != 3 or not self.features.shape[0] == self.labels.shape[0] == len(self.paths):
            raise ValueError(
                f"features {tuple(self.features.shape)}, labels {tuple(self.labels.shape)} and "
                f"{len(self.paths)} paths do not describe the same videos"
            )
        if self.features.shape[1] != self.num_clips * self.num_crops:
            raise ValueError(
                f"features have {self.features.shape[1]} views per video, expected "
                f"num_clips × num_crops = {self.num_clips} × {self.num_crops}"
            )

    @property
    def num_videos(self) -> int:
        return int(self.features.shape[0])

    @property
    def views_per_video(self) -> int:
        return int(self.features.shape[1])

    @property
    def dim(self) -> int:
        return int(self.features.shape[2])

    def video_features(self) -> torch.Tensor:
        """float32 ``[V, F]``: each video's views averaged (VCOP's retrieval feature, k-NN)."""
        return self.features.float().mean(dim=1)


def pool_feature_map(feature_map: torch.Tensor, pooling: FeaturePooling) -> torch.Tensor:
    """One vector per clip from a last-block map ``[B, D, T', H', W']`` (see ``FeaturePooling``).

    ``global`` averages everything (``[B, D]``); ``keep_time`` averages space only (``[B, D·T']``,
    ``D``-major); ``vcop_map`` max-pools ``(1, 2, 2)`` windows with stride ``(1, 2, 2)`` and flattens (a side
    shorter than 2 is pooled whole).
    """
    if feature_map.ndim != 5:
        raise ValueError(f"a feature map must be [B, D, T', H', W'], got shape {tuple(feature_map.shape)}")
    if pooling == "global":
        return feature_map.mean(dim=(2, 3, 4))
    if pooling == "keep_time":
        return rearrange(feature_map.mean(dim=(3, 4)), "b d t -> b (d t)")
    if pooling == "vcop_map":
        height, width = feature_map.shape[3:]
        window = (1, min(2, height), min(2, width))
        return F.max_pool3d(feature_map, kernel_size=window, stride=window).flatten(1)
    raise ValueError(f"unknown feature pooling '{pooling}'; use global, keep_time or vcop_map")


def encoder_features(encoder: nn.Module, pooling: FeaturePooling) -> FeatureFunction:
    """The feature function of ``encoder`` with ``pooling``: ``global`` uses ``forward_features`` (the
    encoder's own pooling, e.g. a ViT's), the others its ``forward_feature_map``."""
    if pooling == "global":
        return lambda clips: encoder.forward_features(clips)  # type: ignore[operator]
    return lambda clips: pool_feature_map(encoder.forward_feature_map(clips), pooling)  # type: ignore[operator]


@dataclass(frozen=True)
class FeatureRequest:
    """One feature set to compute.

    Args:
        name: key of the result.
        function: clips → vectors (see :data:`FeatureFunction`).
        modules: the modules ``function`` uses; they run in eval mode.
        cache_id: what identifies the function's output for the cache (weights and pooling), or ``None``
            to never cache it.
    """

    name: str
    function: FeatureFunction
    modules: tuple[nn.Module, ...] = ()
    cache_id: str | None = None


def encoder_request(
    name: str, encoder: nn.Module, pooling: FeaturePooling, *, weights_id: str | None = None
) -> FeatureRequest:
    """The request for ``encoder``'s features with ``pooling`` (``weights_id``: default the weights' hash)."""
    identity = weights_id if weights_id is not None else weights_sha256(encoder)
    return FeatureRequest(name, encoder_features(encoder, pooling), (encoder,), f"{identity}:{pooling}")


def extract_features(
    requests: Sequence[FeatureRequest],
    records: Sequence[VideoRecord],
    views: ClipViews,
    *,
    extraction: ExtractionConfig,
    device: torch.device | str = "cpu",
    description: str = "features",
    output_dir: str | Path | None = None,
) -> dict[str, FeatureSet]:
    """Run every request on the ``N × M`` views of every video of ``records`` (one decode per video).

    Args:
        requests: the feature functions; every one sees the same decoded clips.
        records: the videos (labels from ``record.label``; ``-1`` when missing).
        views: clips and crops per video.
        extraction: batch size, workers, backend, autocast, storage dtype, progress bar.
        device: where the functions run.
        description: progress-bar label.
        output_dir: ``bad_videos.jsonl`` is appended there (``None``: count and log only).

    Returns:
        name → :class:`FeatureSet`, videos in the order of ``records`` minus the ones that failed (the same on
        every rank of a ``torchrun`` job).
    """
    if not records:
        raise DatasetError(f"no video to extract {description} from; check the data split")
    positions = {record.index: position for position, record in enumerate(records)}
    if len(positions) != len(records):
        raise DatasetError(
            "records passed for feature extraction share an index; give each video a "
            "distinct VideoRecord.index"
        )
    names = [request.name for request in requests]
    if len(set(names)) != len(names):
        raise ValueError(f"feature requests share a name: {names}")
    device = torch.device(device)
    ctx = current_context(device)
    log = BadVideoLog(None if output_dir is None else Path(output_dir) / BAD_VIDEOS_FILENAME, rank=ctx.rank)
    dataset = EvalClipDataset(
        records,
        num_clips=views.num_clips,
        num_frames_per_clip=views.num_frames_per_clip,
        frame_stride=views.frame_stride,
        transform=views.transform,
        backend=extraction.backend,
        bad_videos=log,
    )
    loader = build_eval_loader(
        dataset,
        batch_size=extraction.batch_size,
        num_workers=extraction.num_workers,
        rank=ctx.rank,
        world_size=ctx.world_size,
    )
    shard = _extract_shard(
        requests,
        loader,
        positions,
        extraction=extraction,
        device=device,
        description=description,
        show_progress=extraction.progress_bar and ctx.is_main,
    )
    order, chunks, labels, failed = _merge_shards(gather_to_all(shard), names)
    if failed and ctx.is_main:
        logger.warning(
            "%s: %d video(s) could not be decoded and are left out (first: %s)",
            description,
            len(failed),
            records[failed[0]].path,
        )
    if not order:
        raise DatasetError(
            f"every one of the {len(records)} videos failed to decode ({description}); see "
            f"{log.path or 'the warnings above'}"
        )
    paths = tuple(records[p].path for p in order)
    failed_paths = tuple(records[p].path for p in failed)
    return {
        name: FeatureSet(features, labels, paths, views.num_clips, views.num_crops, failed_paths)
        for name, features in chunks.items()
    }


@dataclass
class _Shard:
    """What one process extracted: record positions, per-request feature chunks, labels, failed positions."""

    order: list[int]
    chunks: dict[str, list[torch.Tensor]]
    labels: list[torch.Tensor]
    failed: list[int]


def _extract_shard(
    requests: Sequence[FeatureRequest],
    loader: Iterable[ClipBatch],
    positions: dict[int, int],
    *,
    extraction: ExtractionConfig,
    device: torch.device,
    description: str,
    show_progress: bool,
) -> _Shard:
    """Run every request on the batches of ``loader`` (this process's share of the videos)."""
    amp_dtype = resolve_amp(extraction.amp, device)
    dtype = torch.float16 if extraction.feature_dtype == "float16" else torch.float32
    shard = _Shard([], {request.name: [] for request in requests}, [], [])
    modules = [module for request in requests for module in request.modules]
    was_training = [module.training for module in modules]
    for module in modules:
        module.eval()
    try:
        with torch.inference_mode(), threads_beside_workers(extraction.num_workers, device):
            for batch in tqdm(
                loader, desc=description, unit="batch", disable=not show_progress, dynamic_ncols=True
            ):
                shard.failed.extend(positions[i] for i in batch.failed_video_indices)
                if batch.size == 0:
                    continue
                clips = rearrange(batch.clips.to(device, non_blocking=True), "b k c t h w -> (b k) c t h w")
                with torch.autocast(
                    device_type=device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None
                ):
                    for request in requests:
                        out = request.function(clips)
                        shard.chunks[request.name].append(
                            rearrange(out.float(), "(b k) f -> b k f", b=batch.size).to("cpu", dtype)
                        )
                shard.labels.append(batch.labels.cpu())
                shard.order.extend(positions[int(i)] for i in batch.video_indices)
    finally:
        for module, mode in zip(modules, was_training, strict=True):
            module.train(mode)
    return shard


def _merge_shards(
    shards: Sequence[_Shard], names: Sequence[str]
) -> tuple[list[int], dict[str, torch.Tensor], torch.Tensor, list[int]]:
    """Every process's shard in the order of the records: positions, features by name, labels, failed."""
    order = [position for shard in shards for position in shard.order]
    if not order:
        return [], {}, torch.empty(0, dtype=torch.long), sorted(p for s in shards for p in s.failed)
    ranking = torch.tensor(order).argsort()
    chunks = {name: torch.cat([c for s in shards for c in s.chunks[name]])[ranking] for name in names}
    labels = torch.cat([label for shard in shards for label in shard.labels])[ranking]
    failed = sorted(position for shard in shards for position in shard.failed)
    return sorted(order), chunks, labels, failed
