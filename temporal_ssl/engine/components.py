"""Build the pretext, the model and the loss a config names — cheaply, before any data is touched.

The pretext declares the head and loss it needs (``Pretext.head`` / ``Pretext.loss``); the ``model:`` section
may replace either or change their options. Building everything first means a typo in any section fails in
seconds with a message naming the key, not after the corpus was indexed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from torch import nn

import temporal_ssl.losses  # noqa: F401  (registers the losses)
import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from temporal_ssl.config import merge
from temporal_ssl.engine.pretrain_config import ModelConfig, PretrainConfig
from temporal_ssl.errors import ConfigError
from temporal_ssl.models import PretextModel, build_pretext_model
from temporal_ssl.pretext.base import ComponentSpec, Pretext
from temporal_ssl.registry import HEADS, LOSSES, PRETEXTS, Registry


@dataclass
class Components:
    """What a pretraining run trains: the pretext (sampling), the model and the loss."""

    pretext: Pretext
    model: PretextModel
    loss_fn: nn.Module


def resolve_component(
    declared: ComponentSpec, name: str | None, options: Mapping[str, Any], registry: Registry
) -> ComponentSpec:
    """The pretext's ``declared`` component with the config's replacement ``name`` and ``options`` applied.

    Replacing the name keeps only those of the pretext's options the new component accepts (e.g. the number of
    order classes moves from one order head to another); the config's options always win.
    """
    if name is None or name == declared.name:
        return ComponentSpec(declared.name, merge(declared.options, options))
    accepted = registry.option_names(name)
    inherited = {k: v for k, v in declared.options.items() if accepted is None or k in accepted}
    return ComponentSpec(name, merge(inherited, options))


@contextlib.contextmanager
def _values_checked(where: str) -> Iterator[None]:
    """A constructor's ``ValueError`` about an impossible value is a ``ConfigError`` naming the section."""
    try:
        yield
    except ConfigError:
        raise
    except ValueError as error:
        raise ConfigError(f"invalid value in '{where}': {error}") from None


def build_pretext(config: PretrainConfig) -> Pretext:
    """The pretext named by the ``pretext:`` section, with its options checked."""
    with _values_checked("pretext.options"):
        return PRETEXTS.build(config.pretext.name, config.pretext.options, where="pretext.options")


def build_model_and_loss(model_cfg: ModelConfig, pretext: Pretext) -> tuple[PretextModel, nn.Module]:
    """The :class:`PretextModel` and loss module for ``pretext`` with the ``model:`` section's changes."""
    head = resolve_component(pretext.head, model_cfg.head, model_cfg.head_options, HEADS)
    loss = resolve_component(pretext.loss, model_cfg.loss, model_cfg.loss_options, LOSSES)
    with _values_checked("model"):
        model = build_pretext_model(
            model_cfg.encoder,
            model_cfg.encoder_options,
            head.name,
            head.options,
            momentum=model_cfg.momentum,
            momentum_schedule=model_cfg.momentum_schedule,
            predictor=model_cfg.predictor,
            predictor_options=model_cfg.predictor_options,
        )
    with _values_checked("model.loss_options"):
        loss_fn = LOSSES.build(loss.name, loss.options, where="model.loss_options")
    return model, loss_fn


def build_components(config: PretrainConfig) -> Components:
    """Pretext, model and loss of ``config`` (no data is read)."""
    pretext = build_pretext(config)
    model, loss_fn = build_model_and_loss(config.model, pretext)
    return Components(pretext, model, loss_fn)
