"""The dataset catalog: a YAML file a user writes once, mapping dataset names to where the data lives.

::

    ucf101:      {format: ucf101,   root: /datasets/UCF-101,    annotations: /datasets/ucfTrainTestlist}
    hmdb51:      {format: hmdb51,   root: /datasets/hmdb51_org, annotations: /datasets/hmdb51_splits}
    kinetics400: {format: kinetics, root: /datasets/k400,       annotations: /datasets/k400/annotations}

Each entry holds ``data:`` keys (``format``, ``root``, ``annotations`` and optionally ``cache_dir``,
``workers`` ...). Which catalog: ``--datasets FILE``, else the ``TSSL_DATASETS`` environment variable, else
``~/.config/temporal_ssl/datasets.yaml`` (``$XDG_CONFIG_HOME`` is honoured). A dataset named in the catalog
takes precedence over the packaged ``configs/data/<name>.yaml`` of the same name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from temporal_ssl.config import load_yaml, merge
from temporal_ssl.config_files import packaged_configs, resolve_config
from temporal_ssl.errors import ConfigError

CATALOG_ENV = "TSSL_DATASETS"
ENTRY_KEYS = ("format", "root", "annotations", "split", "split_number", "cache_dir", "workers", "min_frames",
              "verify_backends")
# Keys a step of a recipe chooses itself (which split, which official split number); a catalog entry of the
# same format only says where the data is.
STEP_KEYS = ("split", "split_number", "min_frames")

Catalog = dict[str, dict[str, Any]]


def default_catalog_path() -> Path:
    """``$XDG_CONFIG_HOME/temporal_ssl/datasets.yaml`` (``~/.config/...`` when the variable is unset)."""
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "temporal_ssl" / "datasets.yaml"


def find_catalog(explicit: str | Path | None = None) -> Path | None:
    """The catalog to use: ``explicit``, else ``$TSSL_DATASETS``, else the default path if it exists.

    An explicit or environment path that does not exist is an error (a typo must not silently fall back).
    """
    for value, where in ((explicit, "--datasets"), (os.environ.get(CATALOG_ENV), CATALOG_ENV)):
        if value:
            path = Path(value).expanduser()
            if not path.is_file():
                raise ConfigError(f"dataset catalog '{path}' (from {where}) does not exist; write it as "
                                  "described in docs/recipes.md or point " + where + " at it")
            return path
    default = default_catalog_path()
    return default if default.is_file() else None


def load_catalog(path: str | Path | None) -> Catalog:
    """The catalog's entries by name (empty for ``None``); each entry is checked for unknown keys."""
    if path is None:
        return {}
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"dataset catalog '{path}' is not valid YAML: {error}") from None
    if not isinstance(data, Mapping):
        raise ConfigError(f"dataset catalog '{path}' must map dataset names to entries, got "
                          f"{type(data).__name__}")
    catalog: Catalog = {}
    for name, entry in data.items():
        if not isinstance(entry, Mapping) or "root" not in entry:
            raise ConfigError(f"dataset catalog '{path}': entry '{name}' must be a mapping with at least "
                              f"'root' (and usually 'format', 'annotations'), got {entry!r}")
        unknown = sorted(set(entry) - set(ENTRY_KEYS))
        if unknown:
            raise ConfigError(f"dataset catalog '{path}': entry '{name}' has unknown key(s) {unknown}; "
                              f"valid keys: {', '.join(ENTRY_KEYS)}")
        resolved = dict(entry)
        for key in ("root", "annotations", "cache_dir"):
            if resolved.get(key) is not None:  # relative paths are relative to the catalog file
                resolved[key] = str((path.parent / Path(str(resolved[key])).expanduser()).resolve())
        catalog[str(name)] = resolved
    return catalog


def packaged_data_section(name: str) -> dict[str, Any] | None:
    """The ``data:`` section of the packaged ``configs/data/<name>.yaml``, or ``None`` if there is none."""
    path = packaged_configs() / "data" / f"{name}.yaml"
    if not path.is_file():
        return None
    section = load_yaml(path).get("data")
    return dict(section) if isinstance(section, Mapping) else None


def resolve_dataset(name: str, catalog: Catalog, base: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``data:`` section dataset ``name`` stands for, laid over a step's own section ``base``.

    Precedence: the catalog entry, then the packaged ``configs/data/<name>.yaml``. When the entry has the
    format of ``base`` (or of the packaged config), it is merged over it, so the step keeps its own split and
    split number; an entry of another format replaces it, keeping only the step's split keys.
    """
    packaged = packaged_data_section(name)
    entry = catalog.get(name, packaged)
    if entry is None:
        known = sorted(set(catalog) | set(packaged_dataset_names()))
        raise ConfigError(f"dataset '{name}' is neither in the dataset catalog nor a packaged data config; "
                          f"add it to the catalog (--datasets / {CATALOG_ENV}). Known: {', '.join(known)}")
    base = dict(base or {})
    base.pop("synthetic", None)
    if entry.get("format", base.get("format")) == base.get("format"):
        return merge(base, entry)
    return merge({k: base[k] for k in STEP_KEYS if k in base}, entry)


def apply_dataset(config: Mapping[str, Any], name: str, catalog: Catalog) -> dict[str, Any]:
    """``config`` (a loaded YAML mapping) with its ``data:`` section resolved from dataset ``name``."""
    result = dict(config)
    result["data"] = resolve_dataset(name, catalog, config.get("data"))
    return result


def packaged_dataset_names() -> list[str]:
    """Names of the packaged data configs (``configs/data/*.yaml``)."""
    return sorted(p.stem for p in (packaged_configs() / "data").glob("*.yaml"))


def config_with_dataset(config: str | Path, data: str | None = None,
                        datasets: str | Path | None = None) -> dict[str, Any]:
    """A command's config mapping with ``--data`` / ``--datasets`` applied (for ``load_config(..., base=)``).

    Args:
        config: the ``--config`` file (path or packaged name).
        data: ``--data``: a YAML file whose ``data:`` section replaces the config's, or a dataset name (the
            catalog's entry, else the packaged ``configs/data/<name>.yaml``); ``None`` keeps the config's.
        datasets: ``--datasets``, the catalog (``None``: ``$TSSL_DATASETS``, then the default path).
    """
    mapping = load_yaml(resolve_config(config))
    if data is None:
        return mapping
    path = Path(data)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        section = load_yaml(path).get("data")
        if not isinstance(section, Mapping):
            raise ConfigError(f"dataset file '{path}' has no 'data:' section; pass a configs/data/*.yaml "
                              "file")
        return {**mapping, "data": dict(section)}
    return apply_dataset(mapping, data, load_catalog(find_catalog(datasets)))
