"""LARS: SGD with momentum whose step for each weight tensor is scaled by its weight-to-gradient norm ratio.

You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks" (arXiv 1708.03888), in the form
PySlowFast trains ρBYOL with (NVIDIA apex's LARC in scaling mode): for a tensor ``w`` with gradient ``g`` and
weight decay ``λ``,

    local = η · ‖w‖ / (‖g‖ + λ‖w‖ + ε)
    d     = local · (g + λw)                   (d = g when ‖w‖ or ‖g‖ is 0)
    v     ← μ·v + d;    w ← w − lr · v         (Nesterov: w ← w − lr · (d + μ·v))

One-dimensional tensors (biases, normalisation scales) are left out of the adaptation by default
(``exclude_1d``): they take a plain SGD step without weight decay, as PySlowFast does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


class LARS(torch.optim.Optimizer):
    """Layer-wise adaptive rate scaling over SGD with momentum (see the module docstring).

    Args:
        params: parameters or parameter groups (a group may set its own ``weight_decay``).
        lr: learning rate (multiplies the adapted step).
        momentum: momentum ``μ``.
        weight_decay: ``λ``, folded into the adapted gradient.
        trust_coefficient: ``η`` (PySlowFast: 0.001).
        eps: ``ε`` in the denominator.
        nesterov: Nesterov momentum.
        exclude_1d: skip adaptation and weight decay for tensors with fewer than 2 dimensions.
    """

    def __init__(self, params: Iterable[Any], *, lr: float, momentum: float = 0.9, weight_decay: float = 0.0,
                 trust_coefficient: float = 0.001, eps: float = 1e-8, nesterov: bool = False,
                 exclude_1d: bool = True) -> None:
        if lr <= 0 or not 0 <= momentum < 1 or weight_decay < 0 or trust_coefficient <= 0 or eps < 0:
            raise ValueError(
                "LARS needs lr > 0, 0 <= momentum < 1, weight_decay >= 0, trust_coefficient > 0 and "
                f"eps >= 0; got lr={lr}, momentum={momentum}, weight_decay={weight_decay}, "
                f"trust_coefficient={trust_coefficient}, eps={eps}"
            )
        defaults = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay,
                    "trust_coefficient": trust_coefficient, "eps": eps, "nesterov": nesterov,
                    "exclude_1d": exclude_1d}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Any = None) -> Any:
        """One update of every parameter with a gradient; ``closure`` re-evaluates the loss as in SGD."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                step = self._adapted_gradient(param, group)
                buffer = self.state[param].get("momentum_buffer")
                if buffer is None:
                    buffer = self.state[param]["momentum_buffer"] = step.clone()
                else:
                    buffer.mul_(group["momentum"]).add_(step)
                update = step.add(buffer, alpha=group["momentum"]) if group["nesterov"] else buffer
                param.add_(update, alpha=-group["lr"])
        return loss

    @staticmethod
    def _adapted_gradient(param: torch.Tensor, group: dict[str, Any]) -> torch.Tensor:
        grad = param.grad
        assert grad is not None
        if group["exclude_1d"] and param.ndim < 2:
            return grad
        decay = group["weight_decay"]
        param_norm, grad_norm = torch.linalg.vector_norm(param), torch.linalg.vector_norm(grad)
        local = group["trust_coefficient"] * param_norm / (grad_norm + decay * param_norm + group["eps"])
        adapted = grad.add(param, alpha=decay).mul_(local)
        return torch.where((param_norm > 0) & (grad_norm > 0), adapted, grad)
