"""Mining a corpus into the track cache: round trip, box scaling, resume, bad videos."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from temporal_ssl.errors import ConfigError, DatasetError
from temporal_ssl.io import open_video
from temporal_ssl.pretext.tracking.corpus_mining import mine_corpus, mine_video
from temporal_ssl.pretext.tracking.track_cache import load_tracks, video_key
from temporal_ssl.pretext.tracking.track_mining import TrackMiningOptions
from temporal_ssl.types import VideoMetadata

from .conftest import CORPUS_OPTIONS, MovingCorpus
from .moving_objects import iou


def _entries(path: Path) -> list[dict[str, Any]]:
    """The video lines of a cache without their timings (which differ between runs)."""
    lines = [json.loads(line) for line in path.read_text().splitlines()[1:]]
    for line in lines:
        line.pop("seconds", None)
    return sorted(lines, key=lambda line: line["video"])


@pytest.fixture(scope="session")
def reference_cache(moving_corpus: MovingCorpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted single-process run over the corpus."""
    out = tmp_path_factory.mktemp("reference") / "tracks.jsonl"
    summary = mine_corpus(moving_corpus.metadata, out, CORPUS_OPTIONS, progress=False)
    assert summary.num_videos == len(moving_corpus.metadata) and summary.num_failed == 0
    return out


def test_cache_round_trip_holds_the_mined_tracks(moving_corpus: MovingCorpus, reference_cache: Path) -> None:
    cache = load_tracks(reference_cache)
    assert cache.options == CORPUS_OPTIONS
    assert sorted(cache.videos) == sorted(video_key(m.path) for m in moving_corpus.metadata)
    assert cache.num_tracks >= len(moving_corpus.metadata)  # the corpus was built so most tracks survive
    for metadata in moving_corpus.metadata:
        again = mine_video(metadata, CORPUS_OPTIONS)
        loaded = cache.tracks_for(metadata.path)
        assert loaded is not None and len(loaded) == len(again.tracks)
        for stored, fresh in zip(loaded, again.tracks, strict=True):
            assert stored.frame_indices == fresh.frame_indices
            assert stored.boxes == tuple(tuple(round(v, 1) for v in box) for box in fresh.boxes)
            assert stored.score == pytest.approx(fresh.score, abs=1e-4)


def test_cached_boxes_are_in_full_size_pixels_on_the_mover(moving_corpus: MovingCorpus,
                                                           reference_cache: Path) -> None:
    # Mining ran at 120 x 90 on 160 x 120 videos: boxes must come back scaled to the true pixels.
    cache = load_tracks(reference_cache)
    checked = 0
    for metadata in moving_corpus.metadata:
        truth, distractor = moving_corpus.boxes[metadata.path], moving_corpus.distractor_boxes[metadata.path]
        for track in cache.tracks_for(metadata.path) or ():
            assert track.end - track.start == CORPUS_OPTIONS.track_length
            for frame in (track.start, track.end):
                box = track.box_at(frame)
                assert max(iou(box, truth[frame]), iou(box, distractor[frame])) >= 0.5
            checked += 1
    assert checked >= 4


def test_resume_after_interruption_equals_an_uninterrupted_run(moving_corpus: MovingCorpus,
                                                               reference_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "tracks.jsonl"
    opened: list[str] = []

    def crash_on_third_video(metadata: VideoMetadata) -> Any:
        opened.append(metadata.path)
        if len(opened) == 3:
            raise KeyboardInterrupt  # the user presses Ctrl-C while the third video is mined
        return open_video(metadata.path, metadata=metadata)

    with pytest.raises(KeyboardInterrupt):
        mine_corpus(moving_corpus.metadata, out, CORPUS_OPTIONS, progress=False,
                    open_reader=crash_on_third_video)
    assert len(out.read_text().splitlines()) == 1 + 2  # header + two committed videos
    with open(out, "a", encoding="utf-8") as handle:  # a crash in the middle of writing the next line
        handle.write('{"video": "/half/written.mp4", "status": "ok", "tra')
    partial = load_tracks(out)  # readable despite the half line
    assert len(partial.videos) == 2

    summary = mine_corpus(moving_corpus.metadata, out, CORPUS_OPTIONS, resume=True, progress=False)
    assert summary.num_skipped == 2 and summary.num_videos == len(moving_corpus.metadata) - 2
    assert _entries(out) == _entries(reference_cache)
    videos = [json.loads(line)["video"] for line in out.read_text().splitlines()[1:]]
    assert len(videos) == len(set(videos))  # no duplicates, no half line left
    again = mine_corpus(moving_corpus.metadata, out, CORPUS_OPTIONS, resume=True, progress=False)
    assert again.num_videos == 0


def test_parallel_workers_give_the_same_cache(moving_corpus: MovingCorpus, reference_cache: Path,
                                              tmp_path: Path) -> None:
    out = tmp_path / "tracks.jsonl"
    summary = mine_corpus(moving_corpus.metadata[:2], out, CORPUS_OPTIONS, workers=2, progress=False)
    assert summary.num_videos == 2
    reference = [e for e in _entries(reference_cache)
                 if e["video"] in {video_key(m.path) for m in moving_corpus.metadata[:2]}]
    assert _entries(out) == reference


def test_a_bad_video_is_recorded_and_counted(moving_corpus: MovingCorpus, tmp_path: Path) -> None:
    good = moving_corpus.metadata[0]
    broken_path = tmp_path / "broken.mp4"
    shutil.copy(good.path, broken_path)
    broken_path.write_bytes(broken_path.read_bytes()[:600])  # truncated after probing
    broken = replace(good, path=str(broken_path))
    out = tmp_path / "tracks.jsonl"
    summary = mine_corpus([broken, good], out, CORPUS_OPTIONS, progress=False)
    assert (summary.num_videos, summary.num_failed) == (2, 1)
    assert summary.failures[0][0] == video_key(str(broken_path))
    cache = load_tracks(out)
    assert cache.num_failed == 1 and cache.tracks_for(str(broken_path)) is None
    assert cache.tracks_for(good.path) is not None
    assert "broken.mp4" in cache.videos[video_key(str(broken_path))].error  # type: ignore[operator]


def test_cache_guards_against_mixing_runs(moving_corpus: MovingCorpus, reference_cache: Path,
                                          tmp_path: Path) -> None:
    out = tmp_path / "tracks.jsonl"
    shutil.copy(reference_cache, out)
    with pytest.raises(ConfigError, match="already exists; pass --resume"):
        mine_corpus(moving_corpus.metadata, out, CORPUS_OPTIONS, progress=False)
    other = TrackMiningOptions.from_dict({**CORPUS_OPTIONS.to_dict(), "track_length": 10})
    with pytest.raises(ConfigError, match=re.escape("track_length: 20 in the file vs 10 now")):
        mine_corpus(moving_corpus.metadata, out, other, resume=True, progress=False)
    summary = mine_corpus(moving_corpus.metadata[:1], out, other, overwrite=True, progress=False)
    assert summary.num_videos == 1 and load_tracks(out).options == other


def test_damaged_cache_names_the_line(reference_cache: Path, tmp_path: Path) -> None:
    lines = reference_cache.read_text().splitlines(keepends=True)
    damaged = tmp_path / "damaged.jsonl"
    damaged.write_text(lines[0] + "{not json\n" + "".join(lines[1:]))
    with pytest.raises(DatasetError, match=re.escape(f"{damaged}:2: not a JSON line")):
        load_tracks(damaged)
    with pytest.raises(DatasetError, match="does not exist; mine it with tools/mine_tracks.py"):
        load_tracks(tmp_path / "missing.jsonl")
    foreign = tmp_path / "foreign.jsonl"
    foreign.write_text('{"video": "a.mp4"}\n')
    with pytest.raises(DatasetError, match="not a track cache"):
        load_tracks(foreign)
