"""The one training engine: every training run — pretraining, fine-tuning, the supervised baseline — is a
model, a loss and a loader handed to :func:`run_training`.

Layout: ``pretrain_config`` (the schema) → ``components`` (pretext, model and loss, built before any data
is read) → ``pretrain`` (corpus, loader, DDP set-up) → ``run`` (optimizer, resume, summary) → ``trainer.fit``
(the loop) → ``step`` (AMP, accumulation, clipping); ``training_run`` (the state a run holds),
``checkpoint`` and ``resume`` (atomic saves, exact resume), ``metrics_log``, ``signals``, ``distributed``,
``schedule``, ``optim``; ``pretrained`` loads a checkpoint back for evaluation. Fine-tuning builds its model,
loss and loader in ``temporal_ssl.eval.finetune`` and trains through the same ``run_training``.
"""

from temporal_ssl.engine.checkpoint import find_latest_checkpoint, load_checkpoint
from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.engine.pretrain import check_config, pretrain, resolve_output_dir
from temporal_ssl.engine.pretrain_config import (
    ModelConfig,
    PretextConfig,
    PretrainConfig,
    load_pretrain_config,
)
from temporal_ssl.engine.pretrained import Pretrained, load_pretrained
from temporal_ssl.engine.run import PretrainResult, run_training
from temporal_ssl.engine.signals import TrainingStopped
from temporal_ssl.engine.step import NonFiniteLossError
from temporal_ssl.engine.train_config import TrainConfig

__all__ = [
    "ModelConfig",
    "NonFiniteLossError",
    "OptimConfig",
    "PretextConfig",
    "PretrainConfig",
    "PretrainResult",
    "Pretrained",
    "TrainConfig",
    "TrainingStopped",
    "check_config",
    "find_latest_checkpoint",
    "load_checkpoint",
    "load_pretrain_config",
    "load_pretrained",
    "pretrain",
    "resolve_output_dir",
    "run_training",
]
