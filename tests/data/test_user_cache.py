"""The per-machine cache root follows XDG_CACHE_HOME and falls back to ~/.cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_ssl.data.user_cache import user_cache_dir


def test_user_cache_dir_follows_xdg_cache_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert user_cache_dir("features") == tmp_path / "temporal_ssl" / "features"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir("index") == tmp_path / "home" / ".cache" / "temporal_ssl" / "index"
