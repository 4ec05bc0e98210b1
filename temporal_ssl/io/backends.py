"""Which decoding backends exist, which are installed, and the errors for asking a missing one.

Backends are optional imports: a backend module is imported only when it is used, and
:func:`available_backends` reports the installed ones, fastest first (see ``select.py`` for the figures).
"""

from __future__ import annotations

import difflib
import importlib
from functools import cache

from temporal_ssl.errors import BackendUnavailableError, ConfigError

BACKEND_NAMES = ("pyav", "torchcodec", "decord")
"""Every backend, in the order ``auto`` prefers them (fastest exact first, as ``python -m benchmarks.decode``
measures)."""

_IMPORTS = {"pyav": "av", "torchcodec": "torchcodec.decoders", "decord": "decord"}
_PIP_NAMES = {"pyav": "av", "torchcodec": "'temporal_ssl[torchcodec]'", "decord": "'temporal_ssl[decord]'"}


@cache
def _import_problem(name: str) -> str | None:
    try:
        importlib.import_module(_IMPORTS[name])
    except Exception as error:  # a broken install raises OSError/RuntimeError, not only ImportError
        return f"{type(error).__name__}: {error}"
    return None


def available_backends() -> list[str]:
    """Installed backends that import cleanly, in ``auto``'s order of preference."""
    return [name for name in BACKEND_NAMES if _import_problem(name) is None]


def check_backend_name(name: str) -> None:
    """Raise :class:`ConfigError` for a name that is no backend (``auto`` is accepted)."""
    if name != "auto" and name not in BACKEND_NAMES:
        close = difflib.get_close_matches(name, BACKEND_NAMES, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"unknown video backend '{name}'; valid: auto, {', '.join(BACKEND_NAMES)}.{hint}")


def require_backend(name: str) -> None:
    """Raise :class:`BackendUnavailableError` naming the extra to install for an unusable backend."""
    check_backend_name(name)
    problem = _import_problem(name)
    if problem is not None:
        raise BackendUnavailableError(
            f"video backend '{name}' is not usable ({problem}); install it with "
            f"`pip install {_PIP_NAMES[name]}`"
            + (" (torchcodec also needs FFmpeg's shared libraries, e.g. `apt-get install ffmpeg`)"
               if name == "torchcodec" else "")
            + f", or pick another backend: {', '.join(available_backends()) or 'none installed'}"
        )
