"""Optimizer options and construction: SGD or AdamW, with weight decay kept off norms and biases by default.

Excluding one-dimensional parameters (normalisation scales and shifts, biases, ViT tokens) from weight decay
is what MoCo v3, DINO, VideoMAE and timm do; ``exclude_norm_and_bias_from_weight_decay: false`` turns it off.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn

from temporal_ssl.engine.lars import LARS
from temporal_ssl.engine.schedule import ScheduleName, learning_rate_at


@dataclass(frozen=True)
class OptimConfig:
    """The ``optim:`` section of a pretraining config.

    Args:
        name: ``"sgd"`` (momentum, optionally Nesterov), ``"adamw"`` or ``"lars"`` (SGD with layer-wise
            adaptive rate scaling, :mod:`temporal_ssl.engine.lars`).
        lr: peak learning rate (reached at the end of warm-up); not rescaled by batch size.
        weight_decay: decoupled (AdamW) or L2 (SGD) weight decay.
        momentum: SGD momentum.
        nesterov: Nesterov momentum for SGD.
        betas: AdamW betas.
        eps: AdamW epsilon.
        schedule: ``"cosine"`` decay to ``min_lr`` or ``"constant"`` after warm-up.
        warmup_steps: optimizer steps of linear warm-up.
        warmup_start_lr: learning rate at the start of warm-up.
        min_lr: learning rate at the last step of the cosine.
        exclude_norm_and_bias_from_weight_decay: no weight decay on parameters with fewer than 2 dimensions.
    """

    name: Literal["sgd", "adamw", "lars"] = "adamw"
    lr: float = 5e-4
    weight_decay: float = 0.05
    momentum: float = 0.9
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    schedule: ScheduleName = "cosine"
    warmup_steps: int = 0
    warmup_start_lr: float = 0.0
    min_lr: float = 0.0
    exclude_norm_and_bias_from_weight_decay: bool = True

    def __post_init__(self) -> None:
        if not self.lr > 0:
            raise ValueError(f"optim.lr must be > 0, got {self.lr}")
        if self.weight_decay < 0:
            raise ValueError(f"optim.weight_decay must be >= 0, got {self.weight_decay}")
        if not 0 <= self.momentum < 1:
            raise ValueError(f"optim.momentum must be in [0, 1), got {self.momentum}")
        if not all(0 <= b < 1 for b in self.betas):
            raise ValueError(f"optim.betas must both be in [0, 1), got {list(self.betas)}")
        if self.warmup_steps < 0:
            raise ValueError(f"optim.warmup_steps must be >= 0, got {self.warmup_steps}")
        if not 0 <= self.min_lr <= self.lr:
            raise ValueError(f"optim.min_lr must be in [0, optim.lr = {self.lr}], got {self.min_lr}")
        if not 0 <= self.warmup_start_lr <= self.lr:
            raise ValueError(
                f"optim.warmup_start_lr must be in [0, optim.lr = {self.lr}], got {self.warmup_start_lr}"
            )
        if self.nesterov and (self.name not in ("sgd", "lars") or self.momentum == 0):
            raise ValueError("optim.nesterov needs optim.name: sgd or lars and optim.momentum > 0")

    def lr_at(self, step: int, total_steps: int) -> float:
        """This config's learning rate at optimizer step ``step`` of a ``total_steps`` run."""
        return learning_rate_at(
            step,
            base_lr=self.lr,
            total_steps=total_steps,
            warmup_steps=self.warmup_steps,
            min_lr=self.min_lr,
            warmup_start_lr=self.warmup_start_lr,
            schedule=self.schedule,
        )


def parameter_groups(
    named_parameters: Iterable[tuple[str, nn.Parameter]], *, weight_decay: float, exclude_norm_and_bias: bool
) -> list[dict]:
    """Trainable parameters as a decayed group and (optionally) an undecayed one of 1-D parameters."""
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    for _, param in named_parameters:
        if not param.requires_grad:
            continue  # momentum encoders and frozen parts are not optimised
        (no_decay if exclude_norm_and_bias and param.ndim < 2 else decay).append(param)
    groups = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def build_optimizer(modules: Iterable[nn.Module], config: OptimConfig) -> torch.optim.Optimizer:
    """The optimizer over every trainable parameter of ``modules`` (model and, if it has any, the loss)."""
    named = [item for module in modules for item in module.named_parameters()]
    groups = parameter_groups(
        named,
        weight_decay=config.weight_decay,
        exclude_norm_and_bias=config.exclude_norm_and_bias_from_weight_decay,
    )
    if not any(group["params"] for group in groups):
        raise ValueError("the model has no trainable parameters (every parameter has requires_grad=False)")
    if config.name == "sgd":
        return torch.optim.SGD(groups, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov)
    if config.name == "lars":
        return LARS(groups, lr=config.lr, momentum=config.momentum, nesterov=config.nesterov)
    return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, eps=config.eps)


def set_learning_rate(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set ``lr × group["lr_scale"]`` on every parameter group (scale 1 when the group has none).

    Called before each optimizer step; a fine-tuned backbone's groups carry ``backbone_lr_scale``.
    """
    for group in optimizer.param_groups:
        group["lr"] = lr * group.get("lr_scale", 1.0)
