"""Find pretexts, encoders, heads, losses and dataset formats by the name a config uses.

A component registers itself with a decorator; configs name it; ``build`` checks the options against the
component's signature before constructing it, so a typo fails at start-up with the list of valid keys.
Users add their own components by decorating them in a module of theirs and passing ``--plugin module``.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from temporal_ssl.errors import ConfigError

T = TypeVar("T", bound=Callable[..., Any])


def closest_match(word: str, choices: list[str]) -> str:
    """The end of an error sentence: ``"; did you mean 'x'?"`` when a choice is close, else ``"."``."""
    close = difflib.get_close_matches(word, choices, n=1)
    return f"; did you mean '{close[0]}'?" if close else "."


def check_keys(options: Mapping[str, Any], valid: list[str], *, where: str) -> None:
    """Raise ``ConfigError`` naming the first key of ``options`` that is not in ``valid``."""
    for key in options:
        if key not in valid:
            raise ConfigError(
                f"unknown key '{where}.{key}'{closest_match(key, valid)} "
                f"Valid keys under '{where}': {', '.join(sorted(valid))}"
            )


class Registry:
    """Name → constructor table for one kind of component (``pretext``, ``encoder`` ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Callable[..., Any]] = {}

    def register(self, name: str | None = None) -> Callable[[T], T]:
        """Decorator registering a class or factory function under ``name`` (default: its ``__name__``)."""

        def decorate(obj: T) -> T:
            key = name or obj.__name__
            existing = self._entries.get(key)
            if existing is not None and existing is not obj:
                raise ConfigError(
                    f"{self.kind} '{key}' is registered twice ({_qualname(existing)} and {_qualname(obj)}); "
                    "give one of them another name"
                )
            self._entries[key] = obj
            return obj

        return decorate

    def names(self) -> list[str]:
        """All registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def get(self, name: str) -> Callable[..., Any]:
        """The constructor registered as ``name``; an unknown name lists the known ones."""
        try:
            return self._entries[name]
        except KeyError:
            raise ConfigError(
                f"unknown {self.kind} '{name}'{closest_match(name, self.names())} "
                f"Registered {self.kind}s: {', '.join(self.names()) or '(none)'}. "
                "A component of your own must be registered in a module named with --plugin."
            ) from None

    def option_names(self, name: str) -> list[str] | None:
        """Keyword options ``name`` accepts, or ``None`` when it takes arbitrary keywords."""
        params = inspect.signature(self.get(name)).parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
            return None
        return [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]

    def build(self, name: str, options: Mapping[str, Any] | None = None, *, where: str | None = None,
              **fixed: Any) -> Any:
        """Construct ``name`` with config ``options`` plus code-supplied ``fixed`` keywords.

        Args:
            name: registered name.
            options: user-facing options from a config; each key is checked against the signature.
            where: the config path of ``options`` for error messages (default: the registry kind).
            fixed: keywords the caller supplies (not user options), e.g. ``num_classes``.
        """
        options = dict(options or {})
        where = where or self.kind
        constructor = self.get(name)
        valid = self.option_names(name)
        if valid is not None:
            check_keys(options, [v for v in valid if v not in fixed], where=where)
        signature = inspect.signature(constructor)
        try:
            signature.bind(**options, **fixed)
        except TypeError as error:
            raise ConfigError(f"cannot build {self.kind} '{name}' from '{where}': {error}") from None
        return constructor(**options, **fixed)


def import_plugin(module: str) -> None:
    """Import a user's module so the components it registers can be named in configs."""
    try:
        importlib.import_module(module)
    except ImportError as error:
        raise ConfigError(
            f"cannot import plugin module '{module}': {error}. Make sure it is on PYTHONPATH "
            "(or run from its folder) and that it imports without errors."
        ) from error


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


PRETEXTS = Registry("pretext")
ENCODERS = Registry("encoder")
HEADS = Registry("head")
LOSSES = Registry("loss")
DATASETS = Registry("dataset format")
