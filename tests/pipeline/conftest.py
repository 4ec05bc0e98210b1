"""Pipeline test fixtures: a tiny corpus of probed barcode videos (several codecs, two sizes), a bad one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from temporal_ssl.types import VideoRecord
from tests.helpers.video_factory import VideoSpec, write_video

# Ten short videos: H.264 with B-frames and a long GOP, H.264 all-intra, MPEG-4 Part 2; two frame sizes.
CORPUS_SPECS = [
    VideoSpec(f"v{i}", codec=codec, num_frames=18 + 2 * i, height=48 if i % 2 else 40, width=64, gop=gop,
              max_b_frames=bframes)
    for i, (codec, gop, bframes) in enumerate(
        [("libx264", 12, 2), ("libx264", 1, 0), ("mpeg4", 8, 0), ("libx264", 30, 2), ("mpeg4", 4, 0)] * 2)
]


def probe_records(paths: list[Path]) -> list[VideoRecord]:
    """One probed single-camera record per file, ``index`` = position."""
    from temporal_ssl.io import probe_video

    return [VideoRecord(index=i, metadata=probe_video(p)) for i, p in enumerate(paths)]


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("pipeline_videos")
    for spec in CORPUS_SPECS:
        write_video(root / spec.filename, spec)
    return root


@pytest.fixture(scope="session")
def corpus_records(corpus_dir: Path) -> list[VideoRecord]:
    """Probed records of the ten corpus videos."""
    return probe_records([corpus_dir / s.filename for s in CORPUS_SPECS])


@pytest.fixture(scope="session")
def corrupt_corpus(tmp_path_factory: pytest.TempPathFactory,
                   corpus_dir: Path) -> tuple[list[VideoRecord], int]:
    """The corpus with video 3 overwritten by garbage after it was indexed: (records, bad position)."""
    root = tmp_path_factory.mktemp("pipeline_corrupt")
    paths = []
    for spec in CORPUS_SPECS:
        shutil.copy(corpus_dir / spec.filename, root / spec.filename)
        paths.append(root / spec.filename)
    records = probe_records(paths)
    bad = 3
    paths[bad].write_bytes(b"\x00garbage, not a video any more\xff" * 64)
    return records, bad


@pytest.fixture(autouse=True)
def private_failure_memory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's loaders remember bad videos in their own folder, not in the user's cache."""
    folder = tmp_path_factory.mktemp("user_cache")
    monkeypatch.setattr("temporal_ssl.pipeline.loader.user_cache_dir", lambda kind: folder / kind)
    return folder
