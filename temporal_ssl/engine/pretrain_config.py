"""The pretraining config schema: one dataclass per section, validated key by key before any data is read.

A config file is ``configs/pretrain/<pretext>.yaml``: it includes a dataset file (``include:
../data/synthetic.yaml``) and sets the sections below. Command-line ``key=value`` overrides apply on top
(``train.max_steps=100 model.encoder=r3d_18``). Unknown keys fail with the valid keys and the closest match;
impossible values fail naming the key.

Sections: ``data`` (the pipeline's :class:`~temporal_ssl.pipeline.records.DataConfig`), ``pretext`` (name and
options, checked by the pretext's constructor), ``model`` (encoder, head/loss overrides, momentum branch),
``augment`` (:class:`~temporal_ssl.data.transforms.VideoAugmentation`; ``null`` = none), ``loader`` (the
pipeline's :class:`~temporal_ssl.pipeline.loader.LoaderConfig`), ``optim``
(:class:`~temporal_ssl.engine.optim.OptimConfig`) and ``train``
(:class:`~temporal_ssl.engine.train_config.TrainConfig`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporal_ssl.config import load_config
from temporal_ssl.data.transforms import VideoAugmentation
from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.engine.train_config import TrainConfig
from temporal_ssl.models.momentum import MomentumSchedule
from temporal_ssl.pipeline.loader import LoaderConfig
from temporal_ssl.pipeline.records import DataConfig


@dataclass(frozen=True)
class PretextConfig:
    """The ``pretext:`` section: a registered pretext and its options (``configs/pretrain/<name>.yaml``)."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelConfig:
    """The ``model:`` section: the encoder, and changes to the head and loss the pretext asks for.

    Args:
        encoder: a registered encoder (``r3d_tiny`` on CPU; ``r3d_18``, ``r2plus1d_18``, ``video_vit_s`` ...).
        encoder_options: the encoder's options.
        head: replace the pretext's head (``null`` = the pretext's choice).
        head_options: merged over the pretext's head options (only keys the head accepts are kept from the
            pretext's when ``head`` names another head).
        loss: replace the pretext's loss (``null`` = the pretext's choice).
        loss_options: merged over the pretext's loss options.
        momentum: base EMA momentum of a momentum encoder (MoCo 0.999, ρMoCo 0.994, ρBYOL 0.996); ``null`` =
            none.
        momentum_schedule: ``cosine`` anneals the momentum to 1 (BYOL, ρ-methods); ``constant`` keeps it
            (MoCo).
        predictor: a predictor head on the embeddings (``byol_predictor`` for BYOL/SimSiam), or ``null``.
        predictor_options: its options.
    """

    encoder: str = "r3d_tiny"
    encoder_options: dict[str, Any] = field(default_factory=dict)
    head: str | None = None
    head_options: dict[str, Any] = field(default_factory=dict)
    loss: str | None = None
    loss_options: dict[str, Any] = field(default_factory=dict)
    momentum: float | None = None
    momentum_schedule: MomentumSchedule = "cosine"
    predictor: str | None = None
    predictor_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PretrainConfig:
    """A whole pretraining run (see the module docstring for the sections)."""

    pretext: PretextConfig
    train: TrainConfig
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    augment: VideoAugmentation | None = field(default_factory=VideoAugmentation)
    loader: LoaderConfig = field(default_factory=LoaderConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)


def load_pretrain_config(
    path: str | Path | None = None,
    overrides: Sequence[str] = (),
    *,
    data_path: str | Path | None = None,
    base: Mapping[str, Any] | None = None,
) -> PretrainConfig:
    """Read ``path`` (with its includes), apply ``key=value`` overrides and validate every section.

    Args:
        path: a YAML file (``configs/pretrain/*.yaml``), or ``None`` to start from ``base`` alone.
        overrides: ``dotted.key=value`` strings (YAML values), applied last.
        data_path: a dataset file (``configs/data/<name>.yaml``); its ``data:`` section replaces the config's.
        base: a mapping merged beneath the file (e.g. defaults a tool supplies).
    """
    return load_config(PretrainConfig, path, overrides, data_path=data_path, base=base)
