"""One optimizer step: forward and backward over the micro-batches (AMP, accumulation), then clip and update.

The step is split in two so the trainer can agree with the other ranks on "was any loss non-finite?" between
the backward passes and the update: a diverged step never reaches the weights.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from temporal_ssl.errors import ConfigError, TemporalSSLError
from temporal_ssl.types import Batch, LossOutput

AmpMode = Literal["auto", "off", "bf16", "fp16"]
LossFunction = Callable[..., LossOutput]
"""``loss_fn(model_output, batch, step) -> LossOutput``."""


class NonFiniteLossError(TemporalSSLError, FloatingPointError):
    """The loss became NaN or infinite; training stopped before the weights were touched."""


def resolve_amp(mode: AmpMode, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``mode`` on ``device`` (``None`` = full precision).

    ``"auto"`` is bf16 on a GPU that supports it, fp16 on an older GPU, and off on the CPU (CPU autocast is
    rarely faster for 3D convolutions). ``"bf16"`` is allowed on the CPU; ``"fp16"`` needs CUDA.
    """
    if mode == "off" or (mode == "auto" and device.type != "cuda"):
        return None
    if mode == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if mode == "fp16" and device.type != "cuda":
        raise ConfigError(
            f"train.amp = 'fp16' needs a CUDA device, but the run is on '{device}'; "
            "use train.amp=bf16 or train.amp=off on the CPU"
        )
    return torch.bfloat16 if mode == "bf16" else torch.float16


def build_grad_scaler(amp_dtype: torch.dtype | None, device: torch.device) -> torch.amp.GradScaler:
    """A loss scaler that is active only for fp16 (bf16 has fp32's range and needs none)."""
    return torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)


@dataclass
class MicroBatchesResult:
    """Mean loss and logged metrics over the micro-batches of one step, and whether every loss was finite."""

    loss: float
    metrics: dict[str, float] = field(default_factory=dict)
    finite: bool = True


def accumulate_gradients(
    model: nn.Module,
    loss_fn: LossFunction,
    micro_batches: Sequence[Batch],
    *,
    step: int,
    device: torch.device,
    amp_dtype: torch.dtype | None,
    scaler: torch.amp.GradScaler,
) -> MicroBatchesResult:
    """Forward and backward every micro-batch, leaving the summed gradient of the mean loss in ``.grad``.

    Each micro-batch loss is divided by the number of micro-batches, so accumulating k micro-batches of size b
    gives the gradient of one batch of k·b (for losses that average over samples). Under DDP the gradient
    all-reduce runs only on the last backward (``no_sync`` before it).

    Args:
        model: the (possibly DDP-wrapped or compiled) model; ``model(views)`` gives the loss's input.
        loss_fn: ``loss_fn(output, batch, step) -> LossOutput``.
        micro_batches: batches on any device; moved to ``device`` one at a time.
        step: optimizer step index, passed to the loss (e.g. for hard-negative mining after a warm-up).
        device: where the model lives.
        amp_dtype: autocast dtype, or ``None`` for full precision.
        scaler: the fp16 loss scaler (disabled otherwise).
    """
    total = torch.zeros((), device=device)
    finite = torch.ones((), dtype=torch.bool, device=device)
    sums: dict[str, float] = {}
    count = len(micro_batches)
    ddp = getattr(model, "_orig_mod", model)  # torch.compile wraps the DDP module
    for index, batch in enumerate(micro_batches):
        batch = batch.to(device, non_blocking=True)
        last = index == count - 1
        sync = (
            contextlib.nullcontext()
            if last or not isinstance(ddp, DistributedDataParallel)
            else ddp.no_sync()
        )
        with sync:
            with torch.autocast(
                device_type=device.type, dtype=amp_dtype or torch.float32, enabled=amp_dtype is not None
            ):
                output = loss_fn(model(batch.views), batch, step)
            loss = output.loss.float()
            scaler.scale(loss / count).backward()
        total += loss.detach()
        finite &= torch.isfinite(loss.detach())
        for key, value in output.metrics.items():
            sums[key] = sums.get(key, 0.0) + float(value)
    mean_loss = float(total) / count
    return MicroBatchesResult(
        loss=mean_loss,
        metrics={k: v / count for k, v in sums.items()},
        finite=bool(finite) and math.isfinite(mean_loss),
    )


def apply_gradients(
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    parameters: Iterable[torch.Tensor],
    *,
    clip_grad_norm: float | None,
) -> tuple[float, bool]:
    """Unscale, clip to ``clip_grad_norm`` (if set), step and zero the gradients.

    Returns:
        The total gradient norm before clipping, and whether the step was skipped (fp16 overflow).
    """
    scaler.unscale_(optimizer)
    with_grad = [p for p in parameters if p.grad is not None]
    norm = torch.nn.utils.get_total_norm([g for g in (p.grad for p in with_grad) if g is not None])
    if clip_grad_norm is not None:
        torch.nn.utils.clip_grads_with_norm_(with_grad, clip_grad_norm, norm)
    scale_before = scaler.get_scale() if scaler.is_enabled() else 1.0
    scaler.step(optimizer)
    scaler.update()
    optimizer.zero_grad(set_to_none=True)
    skipped = scaler.is_enabled() and scaler.get_scale() < scale_before
    return float(norm), skipped
