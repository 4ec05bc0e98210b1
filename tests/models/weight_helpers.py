"""Shared by the weight tests: encoders whose every tensor matters to the output."""

from __future__ import annotations

import torch
from torch import nn


def randomise_batch_norm(module: nn.Module, seed: int = 0) -> nn.Module:
    """Non-trivial BN statistics and affine parameters, so a swapped or missing BN tensor changes outputs."""
    generator = torch.Generator().manual_seed(seed)
    for layer in module.modules():
        if isinstance(layer, nn.modules.batchnorm._BatchNorm):
            for tensor, low, high in ((layer.running_mean, -0.2, 0.2), (layer.running_var, 0.5, 1.5),
                                      (layer.weight.data, 0.5, 1.5), (layer.bias.data, -0.2, 0.2)):
                tensor.copy_(torch.empty(tensor.shape).uniform_(low, high, generator=generator))
    return module
