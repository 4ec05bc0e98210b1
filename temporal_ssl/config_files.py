"""Config files by path or by name: the YAML files shipped with the package, found from a checkout or a wheel.

``--config vcop`` and ``--config configs/pretrain/vcop.yaml`` name the same file; so do ``--config
eval/ucf101/finetune_split1`` and its path. A name is looked up in the packaged config folder, first under the
command's own kind (``pretrain``, ``eval``, ``data``, ``recipes``), then from the folder's top.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from temporal_ssl.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent


def packaged_configs() -> Path:
    """The shipped configs: inside the installed package (a wheel), else the checkout's ``configs/``."""
    installed = _PACKAGE / "configs"
    return installed if installed.is_dir() else _PACKAGE.parent / "configs"


def config_names(kind: str) -> list[str]:
    """The packaged configs of one kind, by the names ``resolve_config`` accepts (``vcop``, ...)."""
    folder = packaged_configs() / kind
    return sorted(str(path.relative_to(folder).with_suffix("")) for path in folder.rglob("*.yaml"))


def resolve_config(value: str | Path, kind: str | None = None) -> Path:
    """The YAML file ``value`` names: an existing path, or a packaged config's name (``.yaml`` optional)."""
    path = Path(value)
    if path.is_file():
        return path
    name = str(value).removesuffix(".yaml")
    root = packaged_configs()
    candidates = ([root / kind / f"{name}.yaml"] if kind else []) + [root / f"{name}.yaml"]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    known = ", ".join(config_names(kind)) if kind else ""
    hint = f"; packaged {kind} configs: {known}" if known else ""
    raise ConfigError(f"config '{value}' is neither an existing file nor a packaged config name{hint}")


def config_argument(kind: str) -> Callable[[str], Path]:
    """An argparse ``type=`` that resolves a path or packaged name of ``kind``, failing as a usage error."""

    def parse(value: str) -> Path:
        try:
            return resolve_config(value, kind)
        except ConfigError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    parse.__name__ = f"{kind} config"
    return parse
