"""The encoder under evaluation: rebuilt from a checkpoint alone, or randomly initialised (a baseline).

A pretraining checkpoint of this package (``engine/resume.py``) stores the resolved config, so its
``model.encoder`` / ``model.encoder_options`` rebuild the encoder and the ``encoder.*`` weights of the saved
:class:`~temporal_ssl.models.PretextModel` fill it. Fine-tuning checkpoints written by
:mod:`temporal_ssl.eval.finetune` have the same layout. A plain state dict (e.g. weights from another code
base) loads too when ``model.encoder`` names the architecture.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from temporal_ssl.errors import ConfigError
from temporal_ssl.models import build_encoder
from temporal_ssl.models.weights import read_weights

logger = logging.getLogger(__name__)

RANDOM_CHECKPOINT = "random"
"""``--checkpoint random``: a randomly initialised encoder (the baseline every pretext must beat)."""


@dataclass
class LoadedEncoder:
    """An encoder ready for evaluation and where it came from.

    Args:
        encoder: the module (contract: ``forward_features``, ``forward_feature_map``, ``num_features``).
        name, options: its registry name and options (enough to build it again).
        checkpoint: the file it was loaded from (``None`` for a random initialisation).
        checkpoint_sha256: that file's SHA-256 (``None`` for a random initialisation).
        checkpoint_config: the config saved in the checkpoint (``{}`` when there is none).
    """

    encoder: nn.Module
    name: str
    options: dict[str, Any]
    checkpoint: Path | None = None
    checkpoint_sha256: str | None = None
    checkpoint_config: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: str | Path, *, chunk_bytes: int = 1 << 22) -> str:
    """The SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def weights_sha256(module: nn.Module) -> str:
    """A SHA-256 of a module's state (names, shapes, dtypes and values): the identity of its weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        value = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(value.shape)}:{value.dtype}".encode())
        digest.update(value.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def random_encoder(name: str, options: Mapping[str, Any] | None = None, *, seed: int = 0) -> LoadedEncoder:
    """Encoder ``name`` with a seeded random initialisation (the global RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        encoder = build_encoder(name, options, where="model.encoder_options")
    return LoadedEncoder(encoder, name, dict(options or {}))


def load_encoder(
    checkpoint: str | Path,
    *,
    encoder: str | None = None,
    encoder_options: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> LoadedEncoder:
    """The encoder of ``checkpoint``, or a random one for ``"random"`` (then ``encoder`` is required).

    Args:
        checkpoint: a checkpoint file of this package, a plain state dict, or ``"random"``.
        encoder, encoder_options: the architecture; ``None`` takes the checkpoint's (an explicit value must
            match what the weights fit).
        seed: the random initialisation's seed.
    """
    if str(checkpoint) == RANDOM_CHECKPOINT:
        if encoder is None:
            raise ConfigError(
                "--checkpoint random needs the architecture: set model.encoder=<name> "
                "(e.g. model.encoder=r3d_tiny)"
            )
        return random_encoder(encoder, encoder_options, seed=seed)
    path = Path(checkpoint)
    saved = read_weights(path)
    name = encoder if encoder is not None else saved.encoder
    if name is None:
        raise ConfigError(
            f"checkpoint '{path}' does not say which encoder it holds (it is not a temporal_ssl "
            "training checkpoint); set model.encoder=<name> and, if needed, "
            "model.encoder_options"
        )
    if encoder_options:
        options = dict(encoder_options)
    elif name == saved.encoder:
        options = dict(saved.encoder_options)
    else:
        options = {}
    module = build_encoder(name, options, weights=path, where="model.encoder_options")
    logger.info("loaded encoder '%s' from '%s'", name, path)
    return LoadedEncoder(module, name, options, path, file_sha256(path), saved.config)
