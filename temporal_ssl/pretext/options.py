"""Checks for pretext options, run in each pretext's constructor so a bad config fails before any decoding.

Every message names the key as it appears in a config (``pretext.options.<key>``), the value, what is
required and, where useful, what to do.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from temporal_ssl.data.clip_sampling import SHORT_VIDEO_POLICIES
from temporal_ssl.errors import ConfigError


def option_error(key: str, value: Any, requirement: str) -> ConfigError:
    """A ``ConfigError`` for ``pretext.options.<key>``."""
    return ConfigError(f"pretext.options.{key} = {value!r} {requirement}")


def check_int(key: str, value: Any, *, minimum: int) -> None:
    """``value`` must be an integer (not a bool) ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise option_error(key, value, f"must be an integer >= {minimum}")


def check_number(
    key: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive_minimum: bool = False,
) -> None:
    """``value`` must be a real number inside the given bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise option_error(key, value, "must be a number")
    if minimum is not None and (value <= minimum if exclusive_minimum else value < minimum):
        raise option_error(key, value, f"must be {'>' if exclusive_minimum else '>='} {minimum}")
    if maximum is not None and value > maximum:
        raise option_error(key, value, f"must be <= {maximum}")


def check_choice(key: str, value: Any, choices: Collection[str]) -> None:
    """``value`` must be one of ``choices``."""
    if value not in choices:
        raise option_error(key, value, f"must be one of: {', '.join(choices)}")


def check_short_video(value: Any) -> None:
    """The ``short_video`` policy must be one of ``temporal_ssl.data.clip_sampling``'s."""
    check_choice("short_video", value, SHORT_VIDEO_POLICIES)


def check_motion(min_percentile: Any, temperature: Any) -> None:
    """Motion-window options shared by the order pretexts (see ``pretext.motion.motion_weighted_starts``)."""
    check_number("motion_min_percentile", min_percentile, minimum=0.0, maximum=100.0)
    if temperature is not None:
        check_number("motion_temperature", temperature, minimum=0.0, exclusive_minimum=True)
