"""Weights in and out of an encoder: this package's checkpoints, torchvision, the papers' released layouts.

:func:`load_weights` fills an encoder from a checkpoint of this package, a plain state dict, or a file saved
by another code base whose key layout :mod:`temporal_ssl.models.layouts` knows (torchvision, VCOP, PySlowFast,
pytorchvideo). The layout and the key prefix (``module.``, ``backbone.``, ``encoder.`` ...) are detected from
the keys; classifier heads of the foreign format are skipped; anything else that does not fit fails with the
detected format and the missing and unexpected keys. :func:`export_encoder` writes an encoder's weights in one
of those layouts. :class:`WeightsMeta` is what a set of weights expects of its input (normalisation, clip
length, frame size): it comes from a training checkpoint's config or from the ``FILE.json`` beside exported
weights, and is attached to a loaded encoder as ``encoder.weights_meta``.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from temporal_ssl.errors import CheckpointError
from temporal_ssl.models import encoders as _encoders  # noqa: F401  (registers the encoders)
from temporal_ssl.models.layouts import Layout, layouts_for
from temporal_ssl.registry import ENCODERS

_WRAPPERS = ("model_state", "state_dict", "model", "module")  # PySlowFast, pytorchvideo, trainers, VideoMAE
_OPTIONAL = "num_batches_tracked"  # absent from old PyTorch and from converted checkpoints
WeightsSource = str | Path | Mapping[str, Any]


@dataclass(frozen=True)
class WeightsMeta:
    """What the weights expect of a clip: per-channel ``mean``/``std`` of values in [0, 1] (``None``: not
    normalised), ``frames`` per clip, and the ``input_size`` ``[H, W]`` they were trained at (``None``:
    unknown)."""

    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    frames: int | None = None
    input_size: tuple[int, int] | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WeightsMeta:
        """The inverse of :meth:`to_json` (unknown keys are ignored)."""
        size = data.get("input_size")
        return cls(mean=_floats(data.get("mean")), std=_floats(data.get("std")), frames=data.get("frames"),
                   input_size=(int(size[0]), int(size[1])) if size is not None else None)


@dataclass(frozen=True)
class LoadedWeights:
    """What :func:`read_weights` found: the tensors, the encoder they were saved with (when the file says),
    its options, the metadata, and the training config of a checkpoint of this package (else ``{}``)."""

    tensors: dict[str, torch.Tensor]
    encoder: str | None
    encoder_options: dict[str, Any]
    meta: WeightsMeta | None
    config: dict[str, Any]


def read_weights(source: WeightsSource) -> LoadedWeights:
    """The tensors of ``source`` (a file or a mapping) with the encoder name and metadata it carries.

    A training checkpoint of this package gives its model's tensors and its config's encoder and metadata;
    a file with a ``FILE.json`` sidecar (:func:`sidecar`) gives the sidecar's; a PySlowFast or
    pytorchvideo file gives its ``model_state``.
    """
    where = _describe(source)
    state = _read(Path(source)) if isinstance(source, str | Path) else source
    encoder, options, meta, config = None, {}, None, {}
    if "format_version" in state and isinstance(state.get("model"), Mapping):  # a training checkpoint
        config = dict(state.get("config") or {})
        model = config.get("model") or {}
        encoder, options, meta = model.get("encoder"), dict(model.get("encoder_options") or {}), _meta(config)
    elif isinstance(source, str | Path):
        sidecar = Path(f"{source}.json")
        if sidecar.is_file():
            try:
                data = json.loads(sidecar.read_text())
            except (OSError, ValueError) as error:
                raise CheckpointError(f"'{sidecar}' beside the weights cannot be read as JSON ({error}); "
                                      "rewrite it with tssl export or delete it") from None
            encoder, options = data.get("encoder"), dict(data.get("encoder_options") or {})
            meta = WeightsMeta.from_json(data)
    for key in _WRAPPERS:
        if isinstance(state.get(key), Mapping):
            state = state[key]
            break
    tensors = {k: v for k, v in state.items() if isinstance(v, torch.Tensor)}
    if not tensors:
        raise CheckpointError(f"{where} holds no tensors; pass a checkpoint or a state dict")
    return LoadedWeights(tensors, encoder, options, meta, config)


def load_weights(encoder: nn.Module, name: str, source: WeightsSource) -> Layout:
    """Fill ``encoder`` (registered as ``name``) from ``source`` in place and return the layout detected.

    Raises:
        CheckpointError: the file cannot be read, holds another encoder, or its keys fit no known layout of
            ``name`` (the message names the detected format, the missing and the unexpected keys).
    """
    where = _describe(source)
    loaded = read_weights(source)
    if loaded.encoder is not None and loaded.encoder != name:
        raise CheckpointError(f"{where} holds encoder '{loaded.encoder}', not '{name}'; build "
                              f"'{loaded.encoder}' (with its options {loaded.encoder_options}) to load it")
    own = encoder.state_dict()
    layout, prefix, mapped, missing, unexpected = _best_fit(own, loaded.tensors, name, where)
    if missing or unexpected:
        raise CheckpointError(
            f"{where} does not fit encoder '{name}': detected format '{layout.name}'"
            f"{f' under prefix {prefix!r}' if prefix else ''}; missing {_few(missing)}, unexpected "
            f"{_few(unexpected)}. Check the architecture and its options (e.g. in_channels, depth)."
        )
    for key, value in own.items():
        if key not in mapped:  # an optional BN counter the file does not have
            mapped[key] = value
        elif mapped[key].shape != value.shape:
            raise CheckpointError(
                f"{where} does not fit encoder '{name}' (format '{layout.name}'): "
                f"'{prefix}{layout.foreign_key(key)}' has shape {tuple(mapped[key].shape)}, the encoder's "
                f"'{key}' {tuple(value.shape)}; check the architecture and its options"
            )
    encoder.load_state_dict(mapped, strict=True)
    if loaded.meta is not None:
        encoder.weights_meta = loaded.meta  # type: ignore[assignment]
    return layout


def export_encoder(checkpoint_or_encoder: WeightsSource | nn.Module, format: str = "torchvision", *,
                   name: str | None = None) -> dict[str, torch.Tensor]:
    """The encoder's weights as a state dict in ``format`` (``"torchvision"``, ``"native"``, ``"vcop"`` ...).

    ``format="torchvision"`` of an ``r3d_18`` / ``r2plus1d_18`` gives a dict that torchvision's
    ``r3d_18()`` / ``r2plus1d_18()`` load with only ``fc.*`` missing.

    Args:
        checkpoint_or_encoder: a training checkpoint (path or loaded dict), exported weights with their
            ``FILE.json``, or an encoder module.
        format: a format the encoder's architecture has (see :mod:`temporal_ssl.models.layouts`).
        name: the encoder's registry name; needed for a module not built by ``build_encoder`` and for a
            plain state dict.
    """
    if isinstance(checkpoint_or_encoder, nn.Module):
        module = checkpoint_or_encoder
        name = name or getattr(module, "encoder_name", None)
        if name is None:
            raise ValueError("export_encoder cannot tell which encoder this module is; pass name= "
                             "(e.g. name='r3d_18') or build it with temporal_ssl.build_encoder")
        state = module.state_dict()
    else:
        loaded = read_weights(checkpoint_or_encoder)
        name = name or loaded.encoder
        if name is None:
            raise CheckpointError(f"{_describe(checkpoint_or_encoder)} does not say which encoder it holds; "
                                  "pass name= (e.g. name='r3d_18')")
        module = ENCODERS.build(name, loaded.encoder_options, where="model.encoder_options")
        load_weights(module, name, checkpoint_or_encoder)
        state = module.state_dict()
    layout = _layout(name, format)
    exported: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        foreign = layout.foreign_key(key)
        if foreign is None:
            raise ValueError(f"format '{format}' cannot hold encoder '{name}': it has no place for '{key}'")
        exported[foreign] = value.detach().clone()
    return layout.write(exported) if layout.write is not None else exported


def weights_meta(checkpoint: WeightsSource) -> WeightsMeta | None:
    """The input a checkpoint's weights expect (normalisation, frames, size), or ``None`` when unknown."""
    return read_weights(checkpoint).meta


def sidecar(encoder: str, encoder_options: Mapping[str, Any], format: str, meta: WeightsMeta | None
            ) -> dict[str, Any]:
    """The ``FILE.json`` beside exported weights: the architecture, the format and :class:`WeightsMeta`."""
    return {"encoder": encoder, "encoder_options": dict(encoder_options), "format": format,
            **(meta or WeightsMeta()).to_json()}


def _layout(name: str, format: str) -> Layout:
    layouts = {layout.name: layout for layout in layouts_for(name)}
    if format not in layouts:
        raise ValueError(f"format '{format}' cannot hold encoder '{name}'; its formats are: "
                         f"{', '.join(layouts)}")
    return layouts[format]


def _best_fit(own: Mapping[str, torch.Tensor], tensors: Mapping[str, torch.Tensor], name: str, where: str
              ) -> tuple[Layout, str, dict[str, torch.Tensor], list[str], list[str]]:
    """The (layout, prefix) under which most of the encoder's keys are found, with what fits and what not."""
    best: tuple[int, Layout, str, Mapping[str, torch.Tensor]] | None = None
    for layout in layouts_for(name):
        readable = layout.read(dict(tensors)) if layout.read is not None else tensors
        expected = {layout.foreign_key(k): k for k in own}
        for prefix in _prefixes(readable, [k for k in expected if k is not None]):
            found = sum(f"{prefix}{foreign}" in readable for foreign in expected if foreign is not None)
            if best is None or found > best[0]:
                best = (found, layout, prefix, readable)
    if best is None or best[0] == 0:
        formats = ", ".join(layout.name for layout in layouts_for(name))
        raise CheckpointError(f"{where} is in no format encoder '{name}' loads ({formats}): its keys begin "
                              f"{_few(sorted(tensors), 3)}; is it the weights of another architecture?")
    _, layout, prefix, tensors = best
    mapped: dict[str, torch.Tensor] = {}
    missing: list[str] = []
    for key in own:
        foreign = f"{prefix}{layout.foreign_key(key)}"
        if foreign in tensors:
            mapped[key] = tensors[foreign]
        elif not key.endswith(_OPTIONAL):
            missing.append(foreign)
    taken = {f"{prefix}{layout.foreign_key(k)}" for k in own}
    unexpected = [k for k in tensors if k.startswith(prefix) and k not in taken
                  and not layout.is_ignored(k[len(prefix):])]
    return layout, prefix, mapped, missing, sorted(unexpected)


def _prefixes(tensors: Mapping[str, torch.Tensor], expected: list[str]) -> list[str]:
    """Every prefix under which some expected key occurs, ``""`` first, then in the file's order (so the
    online ``encoder.`` of a momentum model wins over its copy, which a model stores after it)."""
    found = {"": None}
    for key in tensors:
        for foreign in expected:
            if key.endswith(f".{foreign}"):
                found.setdefault(key[: -len(foreign)], None)
                break
    return list(found)


def _meta(config: Mapping[str, Any]) -> WeightsMeta:
    """Normalisation, clip length and frame size from a training config's ``augment`` and ``pretext``."""
    augment = config.get("augment")
    frames = ((config.get("pretext") or {}).get("options") or {}).get("num_frames_per_clip")
    if not isinstance(augment, Mapping):
        return WeightsMeta(frames=frames)
    size = augment.get("output_size")
    size = (size, size) if isinstance(size, int) else tuple(size) if size is not None else None
    normalised = augment.get("normalize", True)
    return WeightsMeta(mean=_floats(augment.get("mean")) if normalised else None,
                       std=_floats(augment.get("std")) if normalised else None, frames=frames,
                       input_size=size)


def _read(path: Path) -> Mapping[str, Any]:
    if not path.is_file():
        raise CheckpointError(f"weights file '{path}' does not exist; pass a checkpoint or state-dict file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, OSError) as error:
        raise CheckpointError(f"weights file '{path}' cannot be read (truncated, or not a torch file?): "
                              f"{error}") from None
    if not isinstance(state, Mapping):
        raise CheckpointError(f"weights file '{path}' holds a {type(state).__name__}, not a state dict")
    return state


def _describe(source: WeightsSource) -> str:
    return f"weights file '{source}'" if isinstance(source, str | Path) else "the given state dict"


def _floats(values: Any) -> tuple[float, ...] | None:
    return tuple(float(v) for v in values) if values is not None else None


def _few(keys: list[str], count: int = 4) -> str:
    return f"{keys[:count]}{' ...' if len(keys) > count else ''} ({len(keys)})" if keys else "none"
