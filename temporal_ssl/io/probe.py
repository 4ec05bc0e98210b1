"""Probe a video once: its frame table, rate, size, rotation and motion profile, and a seek check per backend.

Most files are probed from their packets (``packet_scan.py``): the demuxer's pts and keyframe flags give the
frame table, and only a few stretches are decoded to confirm it, to measure motion and to keep the reference
thumbnails that seeking is verified against. A file the packets cannot vouch for gets the full probe: a
sequential PyAV decode, the definition of truth, which measures what the file really holds: the frames that
decode (header counts are ignored; a truncated file reports the frames before the damage), every frame's pts
and keyframe flag, the frame rate and duration from the content when the header disagrees, the display
rotation, and a per-frame motion profile read from the luma plane at 32x32. Each backend's seeking is then
verified against check-frame thumbnails (``seek_check.py``). Results are cached per process, keyed by path,
size and modification time, so opening a file again costs nothing.
"""

from __future__ import annotations

import logging
import os
import time
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

import av
import numpy as np

from temporal_ssl.errors import VideoDecodeError
from temporal_ssl.frame_table import FrameTable
from temporal_ssl.io.backends import BACKEND_NAMES, available_backends, require_backend
from temporal_ssl.io.container import check_video_path, decoded_frames, open_video_stream
from temporal_ssl.io.packet_scan import scan_packets
from temporal_ssl.io.seek_check import CheckFrameCollector, CheckFrames, verify_seeking
from temporal_ssl.io.select import DecoderChoice, build_decoder
from temporal_ssl.io.thumbnails import LumaSampler
from temporal_ssl.types import VideoMetadata

logger = logging.getLogger(__name__)

_MAX_CACHED_PROBES = 4096
_SYNTHETIC_TIME_BASE = Fraction(1, 90000)


@dataclass
class _ProbeRecord:
    """A scanned file: its metadata, the seek verdict per verified backend, and the check frames (kept only
    while some installed backend is still unverified)."""

    metadata: VideoMetadata
    table: FrameTable
    checks: CheckFrames | None
    verdicts: dict[str, bool] = field(default_factory=dict)


# One cache per process (DataLoader workers each have their own); bounded, least recently used evicted first.
_PROBES: OrderedDict[tuple[str, int, int], _ProbeRecord] = OrderedDict()
PROBE_KINDS: Counter[str] = Counter()
"""Files probed in this process, by kind: ``packets`` (the cheap scan) or ``full decode``."""


def clear_probe_cache() -> None:
    """Forget every probe this process made (the next ``probe_video`` of a file scans it again)."""
    _PROBES.clear()


def probe_video(path: str | os.PathLike[str], *, backends: Sequence[str] | None = None,
                force_full: bool = False) -> VideoMetadata:
    """Measure a video (from its packets where they can vouch for it, else by decoding every frame) and verify
    seeking for ``backends``.

    Args:
        path: the video file.
        backends: backends whose seeking to verify (default: every installed one); those that pass are listed
            in ``metadata.frame_table.seek_exact_backends``, and readers of any other backend decode linearly.
        force_full: decode every frame even where the packets would do (motion then measured on every frame).

    Raises:
        VideoDecodeError: the file is missing, empty, not a video, has no video stream, or no frame decodes.
        BackendUnavailableError: a backend in ``backends`` is not installed.
    """
    path = os.fspath(path)
    info = check_video_path(path)
    wanted = available_backends() if backends is None else list(dict.fromkeys(backends))
    for name in wanted:
        require_backend(name)
    key = (os.path.abspath(path), info.st_size, info.st_mtime_ns)
    record = _PROBES.get(key)
    missing_checks = record is not None and record.checks is None
    if record is None or force_full or (missing_checks and any(n not in record.verdicts for n in wanted)):
        record = _scan(path, info, keep_checks=bool(wanted), force_full=force_full)
        _PROBES[key] = record
        while len(_PROBES) > _MAX_CACHED_PROBES:
            _PROBES.popitem(last=False)
    _PROBES.move_to_end(key)
    for name in wanted:
        if name not in record.verdicts:
            record.verdicts[name] = _verify(name, record)
    if all(name in record.verdicts for name in available_backends()):
        record.checks = None  # nothing left to verify: free the thumbnails
    passing = tuple(name for name in BACKEND_NAMES if record.verdicts.get(name))
    table = replace(record.table, seek_exact_backends=passing)
    return replace(record.metadata, path=path, frame_table=table)


def _verify(backend: str, record: _ProbeRecord) -> bool:
    metadata = record.metadata
    if record.checks is None:
        return False
    if backend == "pyav" and not record.table.pts_from_decoder:
        logger.info("%s: frames have missing or repeated pts, so PyAV cannot recognise them after a seek",
                    metadata.path)
        return False
    started = time.perf_counter()
    verdict = verify_seeking(backend, lambda: build_decoder(metadata, DecoderChoice(backend, True)),
                             record.checks, metadata.path, record.table.keyframe_indices)
    logger.debug("%s: %s seek check %s in %.1f ms", metadata.path, backend, "passed" if verdict else "failed",
                 (time.perf_counter() - started) * 1e3)
    return verdict


@dataclass
class _Decoded:
    """What one sequential decode saw."""

    pts: Sequence[int | None]
    keyframes: list[int]
    motion: list[float]
    first: av.VideoFrame
    last_duration: int
    checks: CheckFrames | None
    codec: str
    header_rate: Fraction | None
    time_base: Fraction


def _decode_everything(path: str, keep_checks: bool) -> _Decoded:
    """Decode every frame once: pts, keyframe flags, motion profile and (with ``keep_checks``, for the seek
    check) check-frame thumbnails, the costliest part on short files."""
    container, stream = open_video_stream(path)
    with container:
        header_rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        sampler = LumaSampler()
        collector: CheckFrameCollector | None = None
        pts: list[int | None] = []
        keyframes: list[int] = []
        motion: list[float] = []
        previous: np.ndarray | None = None
        first: av.VideoFrame | None = None
        last_duration = 0
        entry_pts: set[int] = set()
        for index, frame in enumerate(decoded_frames(container, stream, entry_pts)):
            if first is None:
                first = frame
                if keep_checks:
                    collector = CheckFrameCollector(_rotation(frame), _estimated_frames(stream, header_rate))
            luma = sampler(frame)
            motion.append(0.0 if previous is None else float(np.abs(luma - previous).mean()))
            previous = luma
            pts.append(frame.pts)
            if frame.key_frame:
                keyframes.append(index)
            if collector is not None:
                collector.add(index, frame, frame.key_frame or frame.pts in entry_pts)
            last_duration = frame.duration or 0
        if first is None:
            raise VideoDecodeError(path, "no frame could be decoded (the video stream is empty or corrupt); "
                                         "re-encode or re-download the file")
        checks = None if collector is None else collector.finish(len(pts))
        return _Decoded(pts, keyframes, motion, first, last_duration, checks,
                        stream.codec_context.name, header_rate, stream.time_base or _SYNTHETIC_TIME_BASE)


def _scan(path: str, info: os.stat_result, keep_checks: bool, force_full: bool = False) -> _ProbeRecord:
    started = time.perf_counter()
    cheap = None if force_full else scan_packets(path, _rotation, keep_checks)
    if cheap is not None:
        decoded = _Decoded(cheap.pts, cheap.keyframes, cheap.motion, cheap.first, cheap.last_duration,
                           cheap.checks, cheap.codec, cheap.header_rate,
                           cheap.time_base or _SYNTHETIC_TIME_BASE)
    else:
        decoded = _decode_everything(path, keep_checks)
    record = _record_from(path, info, decoded)
    PROBE_KINDS["full decode" if cheap is None else "packets"] += 1
    logger.debug("%s: probed %d frames (%s) in %.1f ms", path, record.metadata.num_frames,
                 "full decode" if cheap is None else "packets", (time.perf_counter() - started) * 1e3)
    return record


def _record_from(path: str, info: os.stat_result, decoded: _Decoded) -> _ProbeRecord:
    """Metadata and frame table from what a scan saw (pts in display order, keyframes, motion ...)."""
    num_frames = len(decoded.pts)
    rate = float(decoded.header_rate or 25)
    pts_from_decoder = None not in decoded.pts and len(set(decoded.pts)) == num_frames
    if pts_from_decoder:
        pts, time_base, last_duration = decoded.pts, decoded.time_base, decoded.last_duration
    else:  # made up from the frame rate; readers then count frames instead of recognising them
        step = round(1 / (rate * _SYNTHETIC_TIME_BASE))
        pts, time_base, last_duration = [i * step for i in range(num_frames)], _SYNTHETIC_TIME_BASE, step
    table = FrameTable.from_pts([int(p or 0) for p in pts], float(time_base), decoded.keyframes,
                                pts_from_decoder=pts_from_decoder)
    presentation = table.presentation_seconds()
    gaps = np.diff(presentation)
    frame_seconds = (last_duration * float(time_base) if last_duration > 0
                     else float(np.median(gaps)) if gaps.size else 1 / rate)
    duration = float(presentation[-1] - presentation[0]) + frame_seconds
    rotation = _rotation(decoded.first)
    width, height = decoded.first.width, decoded.first.height
    metadata = VideoMetadata(
        path=path, num_frames=num_frames, fps=_frame_rate(num_frames, duration, decoded.header_rate),
        width=height if rotation in (90, 270) else width, height=width if rotation in (90, 270) else height,
        duration_seconds=duration, codec=decoded.codec, rotation=rotation, frame_table=table,
        motion=tuple(decoded.motion), file_size=info.st_size, mtime_ns=info.st_mtime_ns)
    return _ProbeRecord(metadata, table, decoded.checks)


def _rotation(frame: av.VideoFrame) -> int:
    """Counter-clockwise degrees (0, 90, 180, 270) the display matrix asks for."""
    degrees = getattr(frame, "rotation", 0) or 0
    return int(round(degrees / 90.0)) * 90 % 360


def _estimated_frames(stream: av.VideoStream, header_rate: Fraction | None) -> int | None:
    if stream.frames:
        return int(stream.frames)
    if stream.duration and stream.time_base and header_rate:
        return int(stream.duration * stream.time_base * header_rate)
    return None


def _frame_rate(num_frames: int, duration: float, header_rate: Fraction | None) -> float:
    """The header's rate when it agrees with the content within 1%, else frames per second of content."""
    content = num_frames / duration if duration > 0 else float(header_rate or 0)
    if header_rate and content > 0 and abs(float(header_rate) - content) <= 0.01 * content:
        return float(header_rate)
    return content
