"""The cheap probe: a frame table read from the demuxer, and decoding only where it must be confirmed.

Reading every packet's pts, size and keyframe flag costs a small fraction of decoding the file
(``benchmarks/index_scale.py`` measures it). Where one packet
is one frame, that is the frame table: the sorted pts are the frames in display order, the keyframe packets
are where decoding can start. The scan vouches for a file only when it can tell that holds:

- the codec and container are ones where a packet carries exactly one shown frame (H.264, HEVC, VP8, VP9,
  MPEG-4 Part 2 outside AVI, whose packed B-frames break the rule) and every packet has a distinct pts and no
  packet is marked to be discarded (MP4 edit lists that cut frames);
- every keyframe is a clean entry point (an H.264/HEVC IDR picture; VP8/VP9/MPEG-4 keyframes are), so a
  decode that starts there gives the frames a decode from the start gives (open GOPs and intra refresh fail);
- decoding confirms it: the first frames and the last two groups of pictures to the end (so a truncated or
  damaged tail is caught; the second-to-last without the pictures no other one refers to) must come out one
  per packet, in pts order, with the keyframe flags the packets announced, and the frames after the last
  keyframe must come out the same, bit for bit, when decoding starts there (real files exist whose IDR
  pictures are no clean entry points for FFmpeg's decoder).

Those decoded frames also give the reference thumbnails that each backend's seeking is verified against, and
measured motion; motion elsewhere is estimated from packet sizes (a predicted frame's size follows how much
changed), scaled to the measured values. Any doubt returns ``None`` and the caller runs the full probe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from temporal_ssl.io.container import decoded_frames, open_video_stream
from temporal_ssl.io.seek_check import CheckFrames, reference_thumbnail
from temporal_ssl.io.thumbnails import LumaSampler

logger = logging.getLogger(__name__)

ONE_FRAME_PER_PACKET = frozenset({"h264", "hevc", "vp8", "vp9", "mpeg4"})
_PACKED_FRAME_CONTAINERS = frozenset({"avi"})  # MPEG-4 B-frames packed two to a packet
_IDR_TYPES = {"h264": frozenset({5}), "hevc": frozenset({19, 20})}
MIN_FRAMES = 24
"""Shorter files are probed by decoding them: the full probe costs about as much as the checks."""
_START_FRAMES = 3
_Source = tuple[av.container.InputContainer, av.VideoStream]


@dataclass
class PacketScan:
    """What the cheap scan established: the frame table inputs, decoded samples and check references."""

    pts: list[int]  # display order
    keyframes: list[int]  # display indices
    last_duration: int
    first: av.VideoFrame
    motion: list[float]
    checks: CheckFrames | None
    codec: str
    header_rate: Fraction | None
    time_base: Fraction | None


def scan_packets(path: str, rotation_of: Callable[[av.VideoFrame], int],
                 keep_checks: bool) -> PacketScan | None:
    """The cheap scan of ``path`` (see the module docstring), or ``None`` when only a full decode can tell.

    Args:
        path: the video file.
        rotation_of: returns a decoded frame's display rotation (the probe's own function).
        keep_checks: collect reference thumbnails for seek verification.
    """
    container, stream = open_video_stream(path)  # one container for the packet pass and every decode
    with container:
        codec, time_base = stream.codec_context.name, stream.time_base
        header_rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        reason = _unsupported(container, stream)
        packets = _read_packets(container, stream) if reason is None else reason
        if isinstance(packets, str):
            logger.debug("%s: full probe (%s)", path, packets)
            return None
        pts, keys, sizes, durations, reordered = packets
        order = np.argsort(pts, kind="stable")
        display_pts = [pts[j] for j in order]
        rank = {p: i for i, p in enumerate(display_pts)}
        keyframes = sorted(rank[pts[j]] for j in range(len(pts)) if keys[j])
        if not keyframes or keyframes[0] != 0:
            logger.debug("%s: full probe (the first frame in display order is no keyframe)", path)
            return None
        decoded = _confirm(path, (container, stream), display_pts, rank, set(keyframes))
    if decoded is None:
        return None
    first = decoded[0]
    rotation = rotation_of(first)
    motion = _motion(decoded, [sizes[j] for j in order], [reordered[j] for j in order], set(keyframes))
    checks = _checks(decoded, rotation, keyframes) if keep_checks else None
    last_duration = durations[int(order[-1])]
    return PacketScan(display_pts, keyframes, last_duration, first, motion, checks, codec, header_rate,
                      time_base)


def _unsupported(container: av.container.InputContainer, stream: av.VideoStream) -> str | None:
    codec = stream.codec_context.name
    if codec not in ONE_FRAME_PER_PACKET:
        return f"codec {codec}: packets need not be frames"
    formats = set(container.format.name.split(","))
    if codec == "mpeg4" and formats & _PACKED_FRAME_CONTAINERS:
        return "MPEG-4 in AVI may pack two frames in a packet"
    if not formats & {"mov", "mp4", "matroska", "webm"}:
        return f"container {container.format.name}: no packet index to trust"
    if codec in _IDR_TYPES and _length_size(codec, stream.codec_context.extradata) is None:
        return "no length-prefixed NAL units (Annex B stream)"
    return None


def _read_packets(container: av.container.InputContainer, stream: av.VideoStream
                  ) -> tuple[list[int], list[bool], list[int], list[int], list[bool]] | str:
    """Every packet's pts, keyframe flag, size, duration and whether it is shown before an earlier-decoded
    one (a B-frame), or why the packets cannot be trusted."""
    codec = stream.codec_context.name
    length_size = _length_size(codec, stream.codec_context.extradata)
    pts: list[int] = []
    keys: list[bool] = []
    sizes: list[int] = []
    durations: list[int] = []
    reordered: list[bool] = []
    latest = None
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue  # the demuxer's end-of-stream marker
            flagged = getattr(packet, "is_discard", False) or getattr(packet, "is_corrupt", False)
            if packet.pts is None or flagged:
                return "a packet without pts, marked to be discarded (edit list) or corrupt"
            if packet.is_keyframe and length_size is not None and not _is_idr(codec, packet, length_size):
                return "a keyframe that is not an IDR picture (open GOP or recovery point)"
            value = int(packet.pts)
            pts.append(value)
            keys.append(bool(packet.is_keyframe))
            sizes.append(int(packet.size))
            durations.append(int(packet.duration or 0))
            reordered.append(latest is not None and value < latest)
            latest = value if latest is None else max(latest, value)
    except av.FFmpegError as error:
        return f"demuxing failed ({error})"
    if len(pts) < MIN_FRAMES:
        return f"{len(pts)} packets"
    if len(set(pts)) != len(pts):
        return "repeated pts"
    if stream.frames and stream.frames != len(pts):
        return f"the header counts {stream.frames} frames, the demuxer read {len(pts)} packets"
    return pts, keys, sizes, durations, reordered


def _length_size(codec: str, extradata: bytes | None) -> int | None:
    """Bytes of each NAL unit's length prefix (from the avcC / hvcC box), ``None`` for an Annex B stream."""
    if not extradata:
        return None
    if codec == "h264" and extradata[0] == 1 and len(extradata) > 4:
        return (extradata[4] & 3) + 1
    if codec == "hevc" and extradata[0] == 1 and len(extradata) > 21:
        return (extradata[21] & 3) + 1
    return None


def _is_idr(codec: str, packet: av.Packet, length_size: int) -> bool:
    """Whether a length-prefixed H.264/HEVC packet holds an IDR picture (a clean entry point)."""
    data = memoryview(packet)
    position = 0
    while position + length_size < len(data):
        size = int.from_bytes(data[position:position + length_size], "big")
        header = data[position + length_size]
        kind = header & 0x1F if codec == "h264" else (header >> 1) & 0x3F
        if codec == "h264" and kind in (1, 5):  # the picture's first slice decides
            return kind == 5
        if codec == "hevc" and kind < 32:
            return kind in _IDR_TYPES["hevc"]
        position += length_size + size
    return False


def _confirm(path: str, source: _Source, display_pts: list[int], rank: dict[int, int],
             keyframes: set[int]) -> dict[int, av.VideoFrame] | None:
    """Decode the first frames and, without a break, the last two groups of pictures to the end (the
    second-to-last without its non-reference pictures, which no later picture depends on: it only brings the
    decoder to the last keyframe as a sequential decode would); then decode the first frames of the last group
    again after a seek. Every frame must be the next one the packets announced (after a skipped picture, the
    next one shown), and the frames after the seek must equal, bit for bit, those decoded across the keyframe
    (so it is a clean entry point). The first two stretches are decoded after a seek on ``source``, the last
    one with a new decoder, since a flushed decoder can hide an IDR picture that is no clean entry point.
    Returns the decoded frames by display index, or ``None``."""
    count = len(display_pts)
    ordered = sorted(keyframes)
    if len(ordered) < 3:
        logger.debug("%s: full probe (fewer than 3 keyframes: the checks would decode most of it)", path)
        return None
    frames: dict[int, av.VideoFrame] = {}
    last = ordered[-1]
    for start, stop, full_from in ((0, min(_START_FRAMES, count), 0), (ordered[-2], count, last)):
        got = _decode_segment(source, display_pts, rank, keyframes, start, stop, full_from)
        if got is None:
            logger.debug("%s: full probe (frames %d-%d do not decode as the packets announced)", path, start,
                         stop - 1)
            return None
        frames.update(got)
    fresh, stream = open_video_stream(path)  # a new decoder: a flushed one can hide an unclean entry point
    with fresh:
        again = _decode_segment((fresh, stream), display_pts, rank, keyframes, last,
                                min(last + _START_FRAMES, count))
    if again is None or any(_planes(frame) != _planes(frames[i]) for i, frame in again.items()):
        logger.debug("%s: full probe (decoding from keyframe %d differs from decoding across it)", path, last)
        return None
    return frames


def _planes(frame: av.VideoFrame) -> list[bytes]:
    return [bytes(plane) for plane in frame.planes]


def _decode_segment(source: _Source, display_pts: list[int], rank: dict[int, int], keyframes: set[int],
                    start: int, stop: int, full_from: int | None = None) -> dict[int, av.VideoFrame] | None:
    """Frames ``start`` to ``stop - 1`` decoded after a seek to keyframe ``start``, or ``None`` when one is
    not the frame the packets announced. Before keyframe ``full_from`` (default: ``start``), non-reference
    pictures are skipped, so frames there may be missing but must still come in display order."""
    container, stream = source
    container.seek(display_pts[start], stream=stream, backward=True)  # flushes the decoder
    full_from = start if full_from is None else full_from
    expected, frames = start, {}
    try:
        for frame in _frames_from(container, stream, display_pts[full_from] if full_from > start else None):
            index = rank.get(frame.pts) if frame.pts is not None else None
            if index is None:
                return None
            if index < start:
                continue  # frames shown before the seek target
            skipped_some = index < full_from and index > expected
            if (index != expected and not skipped_some) or bool(frame.key_frame) != (index in keyframes):
                return None
            frames[index] = frame
            expected = index + 1
            if expected == stop:
                return frames
    except av.FFmpegError as error:
        logger.debug("%s: decoding failed (%s)", container.name, error)
        return None
    return None  # the stream ended early: a truncated or damaged tail


def _frames_from(container: av.container.InputContainer, stream: av.VideoStream,
                 resume_pts: int | None) -> Iterator[av.VideoFrame]:
    """The decoded frames from the container's position; with ``resume_pts``, non-reference pictures are
    skipped until the packet of that pts (a keyframe) arrives."""
    if resume_pts is None:
        yield from decoded_frames(container, stream)
        return
    context = stream.codec_context
    context.skip_frame = "NONREF"
    try:
        for packet in container.demux(stream):
            if packet.pts == resume_pts:
                context.skip_frame = "DEFAULT"
            yield from packet.decode()
    finally:
        context.skip_frame = "DEFAULT"


def _motion(decoded: dict[int, av.VideoFrame], sizes: Sequence[int], reordered: Sequence[bool],
            keyframes: set[int]) -> list[float]:
    """Per-frame motion: measured where two consecutive frames were decoded; elsewhere estimated from the
    packet size above what a still frame of its kind costs (B-frames and other predicted frames apart), scaled
    to the measured frames by least squares. Keyframes, whose size says nothing about motion, take their
    neighbours' mean. When the decoded stretches hardly move, the scale is set so the largest estimate equals
    the largest change measured anywhere: the profile then ranks windows correctly but its absolute values
    are rough."""
    sampler = LumaSampler()
    luma = {i: sampler(frame) for i, frame in decoded.items()}
    measured = {i: float(np.abs(luma[i] - luma[i - 1]).mean()) for i in luma if i - 1 in luma}
    count = len(sizes)
    kind = np.asarray(reordered, dtype=bool)
    predicted = np.array([i not in keyframes for i in range(count)])
    excess = np.zeros(count)
    scale: dict[bool, float | None] = {}
    for flag in (False, True):
        members = predicted & (kind == flag)
        if not members.any():
            scale[flag] = None
            continue
        size = np.asarray(sizes, dtype=np.float64)
        excess[members] = np.maximum(size[members] - np.percentile(size[members], 5), 0.0)
        known = [i for i in measured if members[i]]
        num = sum(measured[i] * excess[i] for i in known)
        den = sum(excess[i] ** 2 for i in known)
        moving = known and max(measured[i] for i in known) > 1.0
        scale[flag] = num / den if moving and den > 0 else None
    largest = max(excess.max(), 1e-9)
    fallback = next((v for v in scale.values() if v is not None),
                    max(measured.values(), default=1.0) / largest)
    estimate = excess * np.where(kind, scale[True] or fallback, scale[False] or fallback)
    for key in sorted(keyframes):
        neighbours = [estimate[j] for j in (key - 1, key + 1) if 0 <= j < count and j not in keyframes]
        estimate[key] = float(np.mean(neighbours)) if neighbours else 0.0
    for i, value in measured.items():
        estimate[i] = value
    estimate[0] = 0.0
    return estimate.tolist()


def _checks(decoded: dict[int, av.VideoFrame], rotation: int, keyframes: list[int]) -> CheckFrames:
    """Check frames among the decoded ones, each a few frames from a keyframe so that checking a backend stays
    cheap: the frame after the first, the last keyframe, the frame after it and one a few frames into its
    group of pictures (a seek to a keyframe, one that must count on from it, one that must count further),
    with their decoded neighbours as references. (The last frame is left out: reaching it costs a group of
    pictures per backend, and each backend checks its frame count on every request.)"""
    last = keyframes[-1]
    wanted = {1, last, last + 1, last + 3}
    frame_indices = tuple(sorted(i for i in wanted if i in decoded))
    reformatter = VideoReformatter()
    needed = {j for i in frame_indices for j in (i - 1, i, i + 1) if j in decoded}
    references = {j: reference_thumbnail(decoded[j], rotation, reformatter) for j in needed}
    return CheckFrames(frame_indices, references)
