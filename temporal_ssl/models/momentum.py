"""Momentum (EMA) encoders: ``θ_k ← m·θ_k + (1 − m)·θ_q``, with an optional cosine schedule for ``m``.

MoCo (He et al. 2020) keeps ``m`` fixed (0.999); BYOL (Grill et al. 2020) and ρMoCo/ρBYOL (Feichtenhofer et
al. 2021, PySlowFast ``MOMENTUM_ANNEALING``) raise it from its base value to 1 along a half cosine:
``m(step) = 1 − (1 − m₀)·(cos(π·step/total_steps) + 1)/2``.

Only parameters are averaged. Buffers (BatchNorm running statistics) of the momentum copy are its own: in
training mode it normalises with batch statistics, so they never influence the keys, and MoCo leaves them
alone too.
"""

from __future__ import annotations

import copy
import math
from typing import Literal

import torch
from torch import nn

MomentumSchedule = Literal["constant", "cosine"]


def momentum_at(step: int, total_steps: int, base: float, schedule: MomentumSchedule = "cosine") -> float:
    """The momentum ``m`` to use after optimiser step ``step`` (0-based) of ``total_steps``.

    Args:
        step: the step just taken; clamped to ``[0, total_steps]``.
        total_steps: length of the run (the cosine reaches ``m = 1`` there).
        base: ``m₀`` in ``[0, 1]``.
        schedule: ``"constant"`` (MoCo) or ``"cosine"`` (BYOL, ρMoCo/ρBYOL).
    """
    if not 0.0 <= base <= 1.0:
        raise ValueError(f"momentum must be in [0, 1], got {base}")
    if schedule == "constant":
        return base
    if schedule != "cosine":
        raise ValueError(f"momentum schedule '{schedule}' is not supported; choose 'constant' or 'cosine'")
    if total_steps <= 0:
        raise ValueError(f"total_steps must be > 0 for the cosine momentum schedule, got {total_steps}")
    progress = min(max(step, 0), total_steps) / total_steps
    return 1.0 - (1.0 - base) * (math.cos(math.pi * progress) + 1.0) / 2.0


def momentum_copy(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` that takes no gradient (the momentum/target network)."""
    target = copy.deepcopy(module)
    for parameter in target.parameters():
        parameter.requires_grad_(False)
    return target


@torch.no_grad()
def update_momentum(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """In place, ``p_target ← m·p_target + (1 − m)·p_online`` for every parameter pair.

    Args:
        target: the momentum copy (same architecture as ``online``).
        online: the network trained by the optimiser.
        momentum: ``m`` in ``[0, 1]``; 1 leaves ``target`` unchanged, 0 copies ``online``.
    """
    target_params = list(target.parameters())
    online_params = list(online.parameters())
    if len(target_params) != len(online_params):
        raise ValueError(f"momentum update between modules with {len(target_params)} and "
                         f"{len(online_params)} parameters; the target must be a copy of the online module")
    for p_target, p_online in zip(target_params, online_params, strict=True):
        p_target.lerp_(p_online.detach(), 1.0 - momentum)
