"""Packaged configs by name: ``recipes/vcop_ucf101_r3d`` is ``<configs>/recipes/vcop_ucf101_r3d.yaml``.

The configs folder ships inside the package (``temporal_ssl/configs``) in an installed wheel and sits beside
the package in a source checkout; both are looked up, so names work from either.
"""

from __future__ import annotations

from pathlib import Path

from temporal_ssl.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parents[1]
CONFIG_ROOTS = (_PACKAGE / "configs", _PACKAGE.parent / "configs")


def configs_root() -> Path:
    """The folder holding the packaged configs."""
    for root in CONFIG_ROOTS:
        if root.is_dir():
            return root
    raise ConfigError(f"no packaged configs folder found (looked in {', '.join(map(str, CONFIG_ROOTS))}); "
                      "reinstall temporal_ssl")


def packaged_config(name: str, *, must_exist: bool = True, folder: bool = False) -> Path | None:
    """The file (or, with ``folder``, the folder) a packaged config name stands for.

    A name is a path relative to the configs folder without ``.yaml``; an existing file path is returned as
    it is. Missing: ``ConfigError`` naming the name (``None`` when ``must_exist`` is false).
    """
    if not folder and Path(name).suffix in (".yaml", ".yml") and Path(name).is_file():
        return Path(name)
    path = configs_root() / (name if folder else f"{name}.yaml")
    if path.is_dir() if folder else path.is_file():
        return path
    if must_exist:
        raise ConfigError(f"'{name}' is not a packaged config (no {path}); `tssl recipes list` names the "
                          "recipes, configs/ holds the rest")
    return None
