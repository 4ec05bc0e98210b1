"""YAML configs: load, override from the command line, validate against dataclass schemas, save.

A config file is a mapping; ``include: [other.yaml, ...]`` merges files beneath it (paths relative to the
including file). Overrides are ``dotted.key=value`` with YAML values. Validation builds the schema
dataclasses field by field, so an unknown key fails with the valid keys and the closest match, and a value of
the wrong type fails with the key and what was expected — before any data is touched.
"""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import yaml

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.errors import ConfigError
from temporal_ssl.registry import check_keys, closest_match

D = TypeVar("D")


def load_yaml(path: str | Path) -> dict[str, Any]:
    """Read a YAML mapping, resolving its ``include`` list beneath it."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"config file '{path}' does not exist; pass an existing YAML file with --config")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"config file '{path}' is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file '{path}' must hold a mapping of keys, got {type(data).__name__}")
    includes = data.pop("include", [])
    if isinstance(includes, str):
        includes = [includes]
    merged: dict[str, Any] = {}
    for include in includes:
        merged = merge(merged, load_yaml(path.parent / include))
    return merge(merged, data)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep merge: mappings merge key by key, anything else in ``override`` replaces ``base``."""
    result = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = merge(result[key], value)
        else:
            result[key] = value
    return result


def apply_overrides(config: Mapping[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Apply ``dotted.key=value`` overrides; values are YAML (``3``, ``1e-3``, ``[1, 2]``, ``null``)."""
    result = dict(config)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override '{item}' must look like key=value (e.g. train.max_steps=100)")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        parts = key.strip().split(".")
        node: dict[str, Any] = {parts[-1]: value}
        for part in reversed(parts[:-1]):
            node = {part: node}
        result = merge(result, node)
    return result


def from_dict(schema: type[D], data: Mapping[str, Any] | None, *, where: str = "config") -> D:
    """Build dataclass ``schema`` from ``data``, checking every key and value type."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"'{where}' must be a mapping of keys, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(schema) if f.init}  # type: ignore[arg-type]
    check_keys(data, list(fields), where=where)
    hints = typing.get_type_hints(schema)
    values = {name: _convert(value, hints[name], f"{where}.{name}") for name, value in data.items()}
    missing = [n for n, f in fields.items() if n not in values and f.default is dataclasses.MISSING
               and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ConfigError(f"'{where}' is missing required key(s): {', '.join(missing)}")
    try:
        return schema(**values)
    except (ValueError, TypeError) as error:
        if isinstance(error, ConfigError):
            raise
        raise ConfigError(f"invalid value in '{where}': {error}") from None


def load_config(
    schema: type[D],
    path: str | Path | None = None,
    overrides: Sequence[str] = (),
    *,
    data_path: str | Path | None = None,
    base: Mapping[str, Any] | None = None,
) -> D:
    """Read ``path`` (with its includes) over ``base``, apply ``key=value`` overrides, validate as ``schema``.

    Args:
        schema: the run's config dataclass (pretraining, evaluation ...).
        path: a YAML file, or ``None`` to start from ``base`` alone.
        overrides: ``dotted.key=value`` strings (YAML values), applied last.
        data_path: a dataset file (``configs/data/<name>.yaml``) whose ``data:`` section replaces the config's
            whole ``data:`` section (overrides merge key by key, so they could not drop the included
            dataset's keys, e.g. the synthetic generator's options when switching to UCF101).
        base: a mapping merged beneath the file (e.g. defaults a tool supplies).
    """
    data: dict[str, Any] = dict(base or {})
    if path is not None:
        data = merge(data, load_yaml(path))
    if data_path is not None:
        section = load_yaml(data_path).get("data")
        if not isinstance(section, Mapping):
            raise ConfigError(f"dataset file '{data_path}' has no 'data:' section; pass a "
                              "configs/data/*.yaml file")
        data["data"] = dict(section)
    return from_dict(schema, apply_overrides(data, overrides))


def _convert(value: Any, hint: Any, where: str) -> Any:
    """Check ``value`` against type ``hint`` and convert containers and nested dataclasses."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _convert(value, option, where)
            except ConfigError as error:
                errors.append(str(error))
        raise ConfigError(errors[0] if len(errors) == 1 else f"'{where}' = {value!r} matches none of {hint}")
    if origin is typing.Literal:
        if value not in args:
            valid = [str(a) for a in args]
            raise ConfigError(
                f"'{where}' = {value!r} is not allowed{closest_match(str(value), valid)} "
                f"Choose one of: {', '.join(valid)}"
            )
        return value
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where=where)  # type: ignore[arg-type]
    if origin in (list, tuple, Sequence):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"'{where}' must be a list, got {value!r}")
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(value) != len(args):
                raise ConfigError(f"'{where}' must have {len(args)} items, got {value!r}")
            pairs = enumerate(zip(value, args, strict=True))
            return tuple(_convert(v, a, f"{where}[{i}]") for i, (v, a) in pairs)
        item = args[0] if args else Any
        items = [_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise ConfigError(f"'{where}' must be a mapping, got {value!r}")
        item = args[1] if len(args) == 2 else Any
        return {str(k): _convert(v, item, f"{where}.{k}") for k, v in value.items()}
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"'{where}' must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"'{where}' must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, str) and re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+", value.strip()):
            value = float(value)  # YAML 1.1 reads 1e-3 (no dot in the mantissa) as a string
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"'{where}' must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(f"'{where}' must be a string, got {value!r}")
        return value
    if isinstance(hint, type) and not isinstance(value, hint):
        raise ConfigError(f"'{where}' must be a {hint.__name__}, got {value!r}")
    return value


def to_dict(obj: Any) -> Any:
    """A plain (YAML/JSON-serialisable) form of a schema dataclass."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, Mapping):
        return {str(k): to_dict(v) for k, v in obj.items()}
    return obj


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The current git commit of the source tree, or ``None`` outside a checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd or Path(__file__).parent,
                             capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def save_config(config: Any, path: str | Path) -> Path:
    """Write the resolved config as YAML with a header recording the git commit and library versions."""
    import torch  # deferred: config.py must stay importable without torch for tooling

    header = {"git_commit": git_commit(), "torch": torch.__version__}
    text = "# " + json.dumps(header) + "\n" + yaml.safe_dump(to_dict(config), sort_keys=False)
    return write_text_atomic(path, text)
