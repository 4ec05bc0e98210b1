"""Session fixtures for the io tests: the video matrix (``tests/helpers/io_matrix.py``), written once."""

from __future__ import annotations

from pathlib import Path

import pytest

from temporal_ssl.types import VideoMetadata
from tests.helpers.io_matrix import IoCase, write_matrix
from tests.helpers.reference import SequentialDecode


@pytest.fixture(scope="session")
def io_video_paths(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path | str]:
    """Case name → written file, or the reason it could not be written."""
    return write_matrix(tmp_path_factory.mktemp("io_videos"))


@pytest.fixture(scope="session")
def oracle_cache() -> dict[str, SequentialDecode]:
    return {}


@pytest.fixture(scope="session")
def probe_cache() -> dict[str, VideoMetadata]:
    return {}


@pytest.fixture
def io_case(request: pytest.FixtureRequest, io_video_paths: dict[str, Path | str],
            oracle_cache: dict[str, SequentialDecode], probe_cache: dict[str, VideoMetadata]) -> IoCase:
    """The matrix case named by the test's ``case`` parameter (skipped when its encoder is missing)."""
    name = request.param
    path = io_video_paths[name]
    if isinstance(path, str):
        pytest.skip(path)
    return IoCase(name, path, oracle_cache, probe_cache)
