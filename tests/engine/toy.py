"""A tiny BN-free model and an in-memory dataset that follow the engine's contracts, for fast engine tests.

The model is the real ``PretextModel`` and linear head around a two-layer 3D CNN without BatchNorm (so a
2-process run and a 1-process run on the same global batch agree), with optional dropout (so exact
resume must restore the torch RNG). The dataset stands in for the video pipeline: each sample is a random clip
seeded by ``(seed, epoch, position)`` whose brightness encodes its class, so the loss can fall.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from temporal_ssl.models import build_head
from temporal_ssl.models.pretext_model import PretextModel
from temporal_ssl.types import Example

NUM_CLASSES = 4
VIEW_SHAPE = (1, 4, 3, 8, 8)  # V, T, C, H, W


class ToyEncoder(nn.Module):
    """``[B, 3, T, H, W] → [B, 16]``: conv3d → ReLU → dropout → pooled → linear. No normalisation layers."""

    def __init__(self, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv = nn.Conv3d(3, 8, kernel_size=3, padding=1)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(8, 16)
        self.num_features = 16
        self.in_channels = 3

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.dropout(torch.relu(self.conv(x))).mean(dim=(2, 3, 4)))


def toy_model(dropout: float = 0.0, momentum: float | None = None) -> PretextModel:
    """The real PretextModel around :class:`ToyEncoder` with a linear head (or a projection head for MoCo)."""
    encoder = ToyEncoder(dropout)
    if momentum is None:
        return PretextModel(encoder, build_head("linear", {"num_classes": NUM_CLASSES}, encoder.num_features))
    head = build_head(
        "projection_mlp",
        {"out_dim": 8, "hidden_dim": 16, "num_layers": 2, "batch_norm": False},
        encoder.num_features,
    )
    return PretextModel(encoder, head, momentum=momentum, momentum_schedule="cosine")


class ToyBadVideos:
    """Stands in for the pipeline's bad-video counter (the toy data never fails)."""

    count = 0
    path = None


class ToyDataset(Dataset):
    """Map-style dataset over ``SampleKey`` (video, epoch, position) like ``pipeline.PretextDataset``.

    Two views per sample when ``two_views`` (a contrastive pair of one video), else one.
    """

    def __init__(self, num_videos: int = 48, seed: int = 0, two_views: bool = False) -> None:
        self.num_videos = num_videos
        self.seed = seed
        self.two_views = two_views
        self.bad_videos = ToyBadVideos()

    def __len__(self) -> int:
        return self.num_videos

    def __getitem__(self, key: Any) -> Example:
        video, epoch, position = key
        rng = np.random.default_rng([self.seed, epoch, position])
        label = video % NUM_CLASSES
        num_views = 2 if self.two_views else 1
        views = rng.random((num_views, *VIEW_SHAPE[1:]), dtype=np.float32) + 0.5 * label
        return Example(
            views=torch.from_numpy(views),
            target=torch.tensor(label),
            instance_ids=torch.zeros(num_views, dtype=torch.long),
            roles=("clip",) * num_views,
            video_index=int(video),
        )


def toy_loader(
    *,
    num_videos: int = 48,
    batch_size: int = 4,
    num_workers: int = 0,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    two_views: bool = False,
) -> Any:
    """The real ``pipeline.TrainLoader`` over :class:`ToyDataset` (resumable, sharded, seeded)."""
    from temporal_ssl.pipeline.loader import LoaderConfig, TrainLoader
    from temporal_ssl.pipeline.video_sampler import ResumableVideoSampler

    sampler = ResumableVideoSampler(num_videos, seed=seed, rank=rank, world_size=world_size)
    config = LoaderConfig(batch_size=batch_size, num_workers=num_workers, pin_memory=False)
    return TrainLoader(ToyDataset(num_videos, seed, two_views), sampler, config)  # type: ignore[arg-type]
