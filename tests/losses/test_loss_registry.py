"""Every loss is registered under its config name and built with checked options."""

from __future__ import annotations

import re

import pytest

import temporal_ssl.losses  # noqa: F401  (registers the losses)
from temporal_ssl.errors import ConfigError
from temporal_ssl.registry import LOSSES


def test_losses_are_registered_by_config_name() -> None:
    assert {"cross_entropy", "info_nce", "triplet", "byol", "coherence"} <= set(LOSSES.names())
    loss = LOSSES.build("info_nce", {"temperature": 0.07, "queue_size": 16})
    assert loss.queue is not None and loss.queue.size == 16


def test_unknown_loss_option_lists_the_valid_keys() -> None:
    message = "unknown key 'loss.temprature'; did you mean 'temperature'?"
    with pytest.raises(ConfigError, match=re.escape(message)):
        LOSSES.build("info_nce", {"temprature": 0.1})
