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
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from temporal_ssl.engine.checkpoint import FORMAT_VERSION
from temporal_ssl.errors import CheckpointError, ConfigError
from temporal_ssl.models import build_encoder

logger = logging.getLogger(__name__)

RANDOM_CHECKPOINT = "random"
"""``--checkpoint random``: a randomly initialised encoder (the baseline every pretext must beat)."""
_ENCODER_PREFIXES = ("encoder.", "module.encoder.", "backbone.", "base_network.", "module.")


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
    state = _read(path)
    config = state.get("config", {}) if _is_package_checkpoint(state) else {}
    saved_model = config.get("model", {}) if isinstance(config, Mapping) else {}
    name = encoder if encoder is not None else saved_model.get("encoder")
    if name is None:
        raise ConfigError(
            f"checkpoint '{path}' does not say which encoder it holds (it is not a temporal_ssl "
            "training checkpoint); set model.encoder=<name> and, if needed, "
            "model.encoder_options"
        )
    if encoder_options:
        options = dict(encoder_options)
    elif name == saved_model.get("encoder"):
        options = dict(saved_model.get("encoder_options") or {})
    else:
        options = {}
    module = build_encoder(name, options, where="model.encoder_options")
    weights = state["model"] if _is_package_checkpoint(state) else state
    _load_weights(module, _encoder_weights(weights, path), path, name)
    logger.info("loaded encoder '%s' from '%s'", name, path)
    return LoadedEncoder(module, name, options, path, file_sha256(path), dict(config))


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(
            f"checkpoint '{path}' does not exist; pass a checkpoint file (e.g. "
            "runs/pretrain/default/checkpoints/step_00001500.pt) or --checkpoint random"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, OSError) as error:
        raise CheckpointError(
            f"checkpoint '{path}' cannot be read (truncated or not a torch file?): {error}"
        ) from None
    if not isinstance(state, dict):
        raise CheckpointError(
            f"checkpoint '{path}' holds a {type(state).__name__}, not a state dict or a "
            "temporal_ssl checkpoint"
        )
    return state


def _is_package_checkpoint(state: Mapping[str, Any]) -> bool:
    return state.get("format_version") == FORMAT_VERSION and isinstance(state.get("model"), Mapping)


def _encoder_weights(weights: Mapping[str, Any], path: Path) -> dict[str, torch.Tensor]:
    """The encoder's entries of a model state dict, with the model's prefix (``encoder.`` ...) removed."""
    tensors = {k: v for k, v in weights.items() if isinstance(v, torch.Tensor)}
    for prefix in _ENCODER_PREFIXES:
        found = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
        if found:
            return found
    if not tensors:
        raise CheckpointError(f"checkpoint '{path}' holds no tensors")
    return tensors


def _load_weights(module: nn.Module, weights: Mapping[str, torch.Tensor], path: Path, name: str) -> None:
    """Strict load; a mismatch names the first missing/unexpected keys and the fix."""
    expected = set(module.state_dict())
    missing = sorted(expected - set(weights))
    unexpected = sorted(set(weights) - expected)
    if missing or unexpected:
        raise CheckpointError(
            f"checkpoint '{path}' does not fit encoder '{name}': missing {missing[:4]}"
            f"{' ...' if len(missing) > 4 else ''}, unexpected {unexpected[:4]}"
            f"{' ...' if len(unexpected) > 4 else ''}; set model.encoder / model.encoder_options to the "
            "architecture it was trained with"
        )
    try:
        module.load_state_dict(weights, strict=True)
    except RuntimeError as error:
        raise CheckpointError(f"checkpoint '{path}' does not fit encoder '{name}': {error}") from None
