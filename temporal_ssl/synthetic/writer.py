"""Encode rendered frames into real video files with PyAV, atomically.

Codec presets are chosen so that the codec cannot reveal the direction of time (lossy x264 with rate control
leaks it through frame-type quality differences; see docs/synthetic_corpus.md):

* ``h264`` (default, ``.mp4``): x264 lossless (``qp=0``, yuv420p). The decoded frames are exactly the rendered
  frames after the RGB to YUV 4:2:0 conversion, which treats every frame alike. Profile "High 4:4:4
  Predictive": every FFmpeg-based CPU decoder reads it, NVDEC does not.
* ``h264_intra`` (``.mp4``): x264 at a constant quantiser with every frame a keyframe, High profile, so GPU
  decoders (NVDEC, for frames of at least 64 x 64) read it; frames are coded independently of each other.
* ``mpeg4`` (``.avi``, as UCF101 ships): MPEG-4 Part 2 at a constant quantiser of 2, every frame a
  keyframe; the fastest to write, the largest files.

``tssl check-shortcuts`` measures what any of them leaks on a written corpus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, cast

import av
import numpy as np
from av.video.stream import VideoStream

from temporal_ssl.atomic_write import atomic_path

Codec = Literal["h264", "h264_intra", "mpeg4"]

CODEC_EXTENSIONS: dict[str, str] = {"h264": ".mp4", "h264_intra": ".mp4", "mpeg4": ".avi"}
_CONTAINERS = {".mp4": "mp4", ".avi": "avi"}
_ENCODERS: dict[str, tuple[str, dict[str, str]]] = {
    "h264": ("libx264", {"qp": "0", "preset": "ultrafast"}),
    "h264_intra": ("libx264", {"qp": "12", "preset": "ultrafast", "profile": "high",
                               "x264-params": "keyint=1:min-keyint=1:scenecut=0:aq-mode=0:ipratio=1"}),
    "mpeg4": ("mpeg4", {"qmin": "2", "qmax": "2", "g": "1"}),
}


def encode_video(path: str | Path, frames: np.ndarray, *, codec: Codec = "h264", fps: int = 25) -> Path:
    """Write uint8 RGB ``frames [T, H, W, 3]`` (even H, W) to ``path``; it appears complete or not at all.

    Args:
        path: destination; its extension should be ``CODEC_EXTENSIONS[codec]``.
        frames: uint8 ``[T, H, W, 3]``.
        codec: one of ``CODEC_EXTENSIONS``.
        fps: frames per second written in the container.
    """
    if codec not in _ENCODERS:
        raise ValueError(f"codec '{codec}' is not supported; choose one of {', '.join(_ENCODERS)}")
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8 [T, H, W, 3], got {frames.dtype} {tuple(frames.shape)}")
    height, width = frames.shape[1:3]
    if height % 2 or width % 2:
        raise ValueError(f"frame size {height}x{width} must be even for 4:2:0 video")
    path = Path(path)
    encoder, options = _ENCODERS[codec]
    container_format = _CONTAINERS.get(path.suffix.lower(), "mp4")
    with atomic_path(path) as partial, av.open(str(partial), "w", format=container_format) as container:
        stream = cast(VideoStream, container.add_stream(encoder, rate=fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = dict(options)
        stream.codec_context.thread_count = 1  # tiny frames: threads cost more than they save
        for frame in frames:
            packets = stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24"))
            if packets:
                container.mux(packets)
        container.mux(stream.encode())
    return path
