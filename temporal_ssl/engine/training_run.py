"""What one training process holds while it trains: the state the loop advances and a checkpoint saves.

It sits below both the loop (``trainer``) and the checkpoint code (``resume``), so neither imports the other's
module for its types.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from temporal_ssl.engine.distributed import DistributedContext
from temporal_ssl.engine.metrics_log import MetricsLog
from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.engine.step import LossFunction
from temporal_ssl.engine.train_config import TrainConfig
from temporal_ssl.models.pretext_model import PretextModel
from temporal_ssl.types import Batch


class BatchSource(Protocol):
    """What the trainer needs from a loader (``temporal_ssl.pipeline.TrainLoader`` keeps it)."""

    @property
    def epoch(self) -> int: ...
    def batches(self) -> Iterator[Batch]: ...
    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state: dict[str, Any]) -> None: ...
    def __len__(self) -> int: ...


@dataclass
class TrainingRun:
    """Everything one training process holds.

    ``model`` is the bare module, ``train_model`` its DDP/compiled wrapper used for forward passes, ``step``
    the optimizer steps done. ``output_dir`` is ``None`` for a run that writes nothing (no metrics file, no
    checkpoint: it cannot be resumed).
    """

    model: PretextModel
    train_model: nn.Module
    loss_fn: LossFunction
    optimizer: torch.optim.Optimizer
    scaler: torch.amp.GradScaler
    loader: BatchSource
    ctx: DistributedContext
    train: TrainConfig
    optim: OptimConfig
    total_steps: int
    amp_dtype: torch.dtype | None
    output_dir: Path | None
    config: dict[str, Any]
    step: int = 0
    last_checkpoint: Path | None = None
    metrics_log: MetricsLog | None = field(default=None, repr=False)

    @property
    def saves_checkpoints(self) -> bool:
        """Whether this run writes checkpoints (it has a folder and ``train.save_checkpoints`` is on)."""
        return self.output_dir is not None and self.train.save_checkpoints
