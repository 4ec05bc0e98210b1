"""Open a video file with PyAV and iterate its decoded frames, turning every failure into a clear error.

``decoded_frames`` is the definition of truth shared by the probe and the linear reader: frame ``i`` is the
``i``-th frame it yields. Like the ``ffmpeg`` command line it skips packets the decoder rejects, and it stops
at a demuxing error (a truncated file) after draining the frames the decoder still holds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import av

from temporal_ssl.errors import VideoDecodeError

logger = logging.getLogger(__name__)


def check_video_path(path: str) -> os.stat_result:
    """The file's ``stat``; raises :class:`VideoDecodeError` when it is missing, a directory or empty."""
    if not os.path.exists(path):
        raise VideoDecodeError(path, "the file does not exist; check the path (and the dataset root)")
    if os.path.isdir(path):
        raise VideoDecodeError(path, "it is a directory, not a video file")
    info = os.stat(path)
    if info.st_size == 0:
        raise VideoDecodeError(path, "the file is empty (0 bytes); re-download or re-encode it")
    return info


def open_video_stream(path: str, num_threads: int = 1) -> tuple[av.container.InputContainer, av.VideoStream]:
    """Open ``path`` and return the container and its first video stream, ready to decode.

    Args:
        path: the video file.
        num_threads: decoder threads (1 keeps decoding single-threaded; DataLoader workers give parallelism).
    """
    check_video_path(path)
    try:
        container = av.open(path, mode="r", metadata_errors="ignore")
    except av.FFmpegError as error:
        raise VideoDecodeError(
            path, f"FFmpeg cannot read it as a media file ({type(error).__name__}: {error.strerror}); "
                  "the file is not a video, or its header is damaged or missing (an unfinished download?)"
        ) from error
    if not container.streams.video:
        kinds = sorted({str(stream.type) for stream in container.streams}) or ["none"]
        container.close()
        raise VideoDecodeError(path, f"it has no video stream (streams found: {', '.join(kinds)})")
    stream = container.streams.video[0]
    stream.codec_context.thread_count = max(1, int(num_threads))
    if num_threads > 1:
        stream.codec_context.thread_type = "AUTO"
    return container, stream


def decoded_frames(
    container: av.container.InputContainer,
    stream: av.VideoStream,
    keyframe_packet_pts: set[int] | None = None,
) -> Iterator[av.VideoFrame]:
    """Yield the frames of ``stream`` in display order from the container's current position.

    Args:
        container, stream: from :func:`open_video_stream`.
        keyframe_packet_pts: if given, filled with the pts of packets the container flags as keyframes (where
            other libraries seek to), which need not be the frames the decoder flags as keyframes.
    """
    packets = container.demux(stream)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except av.FFmpegError as error:
            # A demuxing error ends the stream (truncated file); frames the decoder still holds are real.
            logger.debug("demuxing stopped (%s); draining the decoder", error)
            try:
                yield from stream.codec_context.decode(None)
            except av.FFmpegError:
                pass
            return
        if keyframe_packet_pts is not None and packet.is_keyframe and packet.pts is not None:
            keyframe_packet_pts.add(int(packet.pts))
        try:
            frames = packet.decode()
        except av.FFmpegError as error:
            logger.debug("skipping a packet the decoder rejects: %s", error)
            continue
        yield from frames
