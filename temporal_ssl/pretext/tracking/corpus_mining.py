"""Mine the tracks of a whole corpus once, into the track cache the ``tracking`` pretext reads.

Each video is decoded at a working resolution (at most ``max_width`` x ``max_height``), one sorted
``get_frames`` pass per chunk of query frames (only the frames the queries need), mined, and committed as one
line of the cache (see ``track_cache``). ``resume`` cuts off a line an interrupted run left half-written and
skips every video already in the file (failed ones included: they would fail again). A video that cannot be
decoded becomes a ``failed`` line, counted and reported; it never stops the run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from temporal_ssl.errors import ConfigError, VideoDecodeError
from temporal_ssl.io import open_video
from temporal_ssl.pretext.tracking.track_cache import (
    VideoTracks,
    append_line,
    cut_partial_line,
    header_line,
    load_tracks,
    video_key,
)
from temporal_ssl.pretext.tracking.track_mining import (
    Track,
    TrackMiningOptions,
    frames_needed,
    mine_tracks_in_frames,
    query_frames,
    working_size,
)
from temporal_ssl.types import VideoMetadata, VideoRecord

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_FRAMES = 256

ReaderFactory = Callable[[VideoMetadata], Any]
"""Opens a video for mining: a context manager whose value has ``get_frames(indices, size=(h, w))`` returning
uint8 ``[T, C, H, W]`` (like ``temporal_ssl.io.open_video``)."""


@dataclass
class MiningSummary:
    """What a corpus mining run did (counts, and time for the frames-per-second figures)."""

    output: str
    num_videos: int = 0
    num_skipped: int = 0
    num_failed: int = 0
    num_tracks: int = 0
    num_frames: int = 0
    seconds: float = 0.0
    decode_seconds: float = 0.0
    mine_seconds: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[tuple[str, str]] = field(default_factory=list)

    @property
    def frames_per_second(self) -> float:
        """Video frames covered per wall-clock second (all workers together, decoding included)."""
        return self.num_frames / self.seconds if self.seconds > 0 else 0.0

    @property
    def mining_frames_per_second(self) -> float:
        """Video frames covered per second of mining work, decoding excluded (per worker)."""
        return self.num_frames / self.mine_seconds if self.mine_seconds > 0 else 0.0


def mine_video(metadata: VideoMetadata, options: TrackMiningOptions, *,
               open_reader: ReaderFactory | None = None,
               chunk_frames: int = DEFAULT_CHUNK_FRAMES) -> VideoTracks:
    """Mine the tracks of one video, decoding only the frames the queries need, chunk by chunk.

    Args:
        metadata: the probed video.
        options: mining settings.
        open_reader: how to open the video (default ``temporal_ssl.io.open_video``).
        chunk_frames: most frames held decoded at once (memory bound for long videos).
    """
    height, width = working_size(metadata.width, metadata.height, options.max_width, options.max_height)
    scale = (metadata.width / width, metadata.height / height)
    tracks: list[Track] = []
    counts: Counter[str] = Counter()
    decode_seconds = mine_seconds = 0.0
    with (open_reader or _open_reader)(metadata) as reader:
        queries = query_frames(metadata.num_frames, options)
        for chunk_queries, indices in _chunks(queries, options, chunk_frames):
            start = time.perf_counter()
            frames = reader.get_frames(indices, size=(height, width))
            decoded = time.perf_counter()
            outcome = mine_tracks_in_frames(frames, indices, options, video=video_key(metadata.path),
                                            scale=scale, queries=chunk_queries)
            tracks += outcome.tracks
            counts.update(outcome.counts)
            decode_seconds += decoded - start
            mine_seconds += time.perf_counter() - decoded
    return VideoTracks(video_key(metadata.path), tuple(tracks), metadata.num_frames, metadata.width,
                       metadata.height, None, {"decode": decode_seconds, "mine": mine_seconds}, dict(counts))


def _open_reader(metadata: VideoMetadata) -> Any:
    return open_video(metadata.path, metadata=metadata)


def _chunks(queries: Sequence[int], options: TrackMiningOptions, chunk_frames: int
            ) -> Iterator[tuple[list[int], list[int]]]:
    """Consecutive groups of queries whose frames fit in ``chunk_frames``, with those frames (sorted)."""
    group: list[int] = []
    frames: set[int] = set()
    for query in queries:
        needed = set(frames_needed(query, options))
        if group and len(frames | needed) > chunk_frames:
            yield group, sorted(frames)
            group, frames = [], set()
        group.append(query)
        frames |= needed
    if group:
        yield group, sorted(frames)


def _mine_safely(metadata: VideoMetadata, options: TrackMiningOptions,
                 open_reader: ReaderFactory | None) -> VideoTracks:
    """:func:`mine_video`, turning a decoding failure into a failed entry (runs in a worker process)."""
    try:
        return mine_video(metadata, options, open_reader=open_reader)
    except VideoDecodeError as error:
        return VideoTracks(video_key(metadata.path), error=str(error))


def _prepare_output(path: Path, options: TrackMiningOptions, *, resume: bool, overwrite: bool) -> set[str]:
    """Create the cache (header) or, on resume, check its options and cut a partial last line; keys done."""
    if path.exists() and not (resume or overwrite):
        raise ConfigError(f"track cache '{path}' already exists; pass --resume to continue it or --overwrite "
                          "to mine it again")
    if not path.exists() or overwrite:
        path.parent.mkdir(parents=True, exist_ok=True)
        append_line(path, header_line(options), truncate=True)
        return set()
    cache = load_tracks(path)
    if cache.options != options:
        theirs, ours = _flat(cache.options.to_dict()), _flat(options.to_dict())
        diff = ", ".join(f"{k}: {theirs.get(k)} in the file vs {ours.get(k)} now" for k in sorted(ours)
                         if theirs.get(k) != ours.get(k))
        raise ConfigError(f"cannot resume track cache '{path}': it was mined with other options ({diff}); "
                          "use the same options, another --out, or --overwrite")
    cut_partial_line(path)
    return set(cache.videos)


def _flat(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def videos_of(records: Iterable[VideoRecord]) -> list[VideoMetadata]:
    """Every distinct video file of the records (all cameras of a multi-camera scene), in order."""
    seen: set[str] = set()
    videos: list[VideoMetadata] = []
    for record in records:
        for metadata in [c.metadata for c in record.cameras] or [record.metadata]:
            key = video_key(metadata.path)
            if key not in seen:
                seen.add(key)
                videos.append(metadata)
    return videos


def mine_corpus(videos: Sequence[VideoMetadata], output: str | Path, options: TrackMiningOptions, *,
                workers: int = 1, resume: bool = False, overwrite: bool = False, progress: bool = True,
                open_reader: ReaderFactory | None = None) -> MiningSummary:
    """Mine every video into the cache at ``output``, one committed line per video.

    Args:
        videos: the videos to mine (see :func:`videos_of` for a corpus index).
        output: the JSON-lines cache.
        options: mining settings (must equal the file's when resuming).
        workers: parallel processes (``<= 1`` mines in this process).
        resume: continue an existing cache, skipping videos it already holds.
        overwrite: start the cache again even if it exists.
        progress: show a progress bar.
        open_reader: how to open a video (default ``temporal_ssl.io.open_video``); must be picklable when
            ``workers > 1``.
    """
    path = Path(output)
    done = _prepare_output(path, options, resume=resume, overwrite=overwrite)
    pending = [m for m in videos if video_key(m.path) not in done]
    summary = MiningSummary(str(path), num_skipped=len(videos) - len(pending))
    started = time.perf_counter()
    bar = tqdm(total=len(pending), desc="mining tracks", unit="video", disable=not progress,
               dynamic_ncols=True)

    def collect(entry: VideoTracks) -> None:
        append_line(path, entry.to_dict())
        summary.num_videos += 1
        if entry.error is not None:
            summary.num_failed += 1
            summary.failures.append((entry.video, entry.error))
            logger.warning("skipped %s: %s", entry.video, entry.error)
        else:
            summary.num_tracks += len(entry.tracks)
            summary.num_frames += entry.num_frames
            summary.decode_seconds += entry.seconds.get("decode", 0.0)
            summary.mine_seconds += entry.seconds.get("mine", 0.0)
            summary.counts.update(entry.counts)
        bar.update(1)
        bar.set_postfix(tracks=summary.num_tracks, failed=summary.num_failed, refresh=False)

    try:
        if workers <= 1 or len(pending) <= 1:
            for metadata in pending:
                collect(_mine_safely(metadata, options, open_reader))
        else:
            context = multiprocessing.get_context("forkserver" if os.name == "posix" else "spawn")
            with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=context) as pool:
                futures = [pool.submit(_mine_safely, m, options, open_reader) for m in pending]
                try:
                    for future in as_completed(futures):
                        collect(future.result())
                except BaseException:
                    pool.shutdown(wait=False, cancel_futures=True)
                    raise
    finally:
        bar.close()
        summary.seconds = time.perf_counter() - started
    return summary
