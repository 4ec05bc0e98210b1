"""PyAV decoder: keyframe seeks where verified exact, a linear decode from frame 0 where they are not.

Both modes walk one sorted plan (``decode_plan.py``) and convert only the frames they return, with colour
conversion and resizing done in one swscale call (area filter: antialiased when shrinking) through a
reformatter that is reused across frames. In seek mode each decoded frame is recognised by its pts in the
frame table, so a seek that lands anywhere unexpected is noticed instead of returning a wrong frame; in
both modes, when every frame has its own pts, non-reference frames (most B-frames) far before the next
wanted frame are not decoded at all.
"""

from __future__ import annotations

import bisect
import itertools
import os
from collections.abc import Iterator, Sequence

import av
import numpy as np
import torch
from av.video.reformatter import VideoReformatter

from temporal_ssl.errors import VideoDecodeError
from temporal_ssl.frame_table import FrameTable
from temporal_ssl.io.container import decoded_frames, open_video_stream
from temporal_ssl.io.decode_plan import plan_decode
from temporal_ssl.io.decoder import DecodeStats, SeekMismatchError
from temporal_ssl.io.geometry import decoded_size, rotate_upright

_MAX_SEEK_BACK = 3
_SKIP_MARGIN = 16
"""Frames: while the next wanted frame is farther ahead than this, non-reference frames are not decoded. It
exceeds the distance between a B-frame and the reference frames around it for common encoders (x264 uses up
to 3 B-frames); a frame dropped anyway is noticed and decoded again without dropping."""


class PyAVDecoder:
    """Decodes one file with PyAV.

    Args:
        path: the video file.
        frame_table: the probe's frame table (pts identify frames after a seek; keyframes are seek targets).
        rotation: degrees counter-clockwise to turn decoded frames upright.
        seek: use keyframe seeks (only when ``"pyav"`` is in ``frame_table.seek_exact_backends``); otherwise
            every way back is a restart from frame 0.
        num_threads: decoder threads.
    """

    name = "pyav"

    def __init__(self, path: str, frame_table: FrameTable, rotation: int, *, seek: bool,
                 num_threads: int = 1) -> None:
        self.path = path
        self.frame_table = frame_table
        self.rotation = rotation
        # Frames are recognised by the decoder's pts where each frame has its own (otherwise by counting from
        # frame 0): seeking needs it, and so does dropping far non-reference frames, linear decodes included.
        self._recognise_by_pts = (frame_table.pts_from_decoder
                                  and len(set(frame_table.all_pts().tolist())) == frame_table.num_frames)
        self.can_seek = seek and self._recognise_by_pts
        self.num_threads = num_threads
        self.stats = DecodeStats()
        self._container: av.container.InputContainer | None = None
        self._stream: av.VideoStream | None = None
        self._frames: Iterator[av.VideoFrame] | None = None
        self._position: int | None = None
        self._pid = -1
        self._pts_to_index: dict[int, int] | None = None
        self._seek_back = 0  # how many keyframes before the target seeks must aim, learned per file
        self._reformatter = VideoReformatter()

    def decode_sorted(self, indices: Sequence[int], size: tuple[int, int] | None) -> torch.Tensor:
        if self._pid != os.getpid():
            # A forked worker must not touch the parent's demuxer or scaler (its threads did not survive).
            self._container, self._frames, self._position = None, None, None
            self._reformatter = VideoReformatter()
        target = None if size is None else decoded_size(size, self.rotation)
        frames = _FrameBuffer(len(indices))
        for step in plan_decode(indices, self.frame_table.keyframe_indices, self._position, self.can_seek):
            if step.start_index is not None:
                self._start_at(step.start_index, step.frame_indices[0])
            collected = self._collect(step.frame_indices, target, frames,
                                      skip_far_frames=self._recognise_by_pts)
            if collected < len(step.frame_indices):
                # A wanted frame was a non-reference frame dropped as "far": redo the rest without dropping.
                rest = step.frame_indices[collected:]
                self._start_at(self.frame_table.keyframe_at_or_before(rest[0]), rest[0])
                self._collect(rest, target, frames, skip_far_frames=False)
        return rotate_upright(torch.from_numpy(frames.array), self.rotation)

    def close(self) -> None:
        if self._container is not None and self._pid == os.getpid():
            self._container.close()
        self._container, self._stream, self._frames, self._position = None, None, None, None

    def _start_at(self, keyframe: int, first_wanted: int) -> None:
        """Position the decoder at or before ``keyframe`` so that ``first_wanted`` comes out next or later."""
        keyframes = self.frame_table.keyframe_indices
        while True:
            position = bisect.bisect_right(keyframes, keyframe) - 1 - self._seek_back
            start = keyframes[position] if position >= 0 and self.can_seek else 0
            if start == 0:
                self._restart()
                return
            if self._container is None or self._stream is None:
                self._container, self._stream = open_video_stream(self.path, self.num_threads)
                self._pid = os.getpid()
            container, stream = self._container, self._stream
            container.seek(self.frame_table.pts(start), stream=stream, backward=True)
            self.stats.seeks += 1
            frames = decoded_frames(container, stream)
            first = next(frames, None)
            if first is not None and self._identify(first) <= first_wanted:
                self._frames, self._position = itertools.chain([first], frames), None
                return
            # Some demuxers (MPEG-TS, by timestamp search) land a keyframe late: start earlier from now on.
            self._seek_back += 1
            if self._seek_back > _MAX_SEEK_BACK:
                raise SeekMismatchError(f"seeks keep landing after frame {first_wanted}")

    def _restart(self) -> None:
        # A fresh demuxer and decoder reproduce the probe's sequential decode exactly.
        self.close()
        container, stream = open_video_stream(self.path, self.num_threads)
        self._container, self._stream, self._pid = container, stream, os.getpid()
        self._frames = decoded_frames(container, stream)
        self._position = 0
        self.stats.restarts += 1

    def _collect(self, wanted: Sequence[int], target: tuple[int, int] | None, out: _FrameBuffer,
                 skip_far_frames: bool) -> int:
        """Decode forward, converting the ``wanted`` frames into ``out``; returns how many were collected.

        With ``skip_far_frames`` (only when frames are recognised by pts, so gaps are noticed), the decoder
        drops non-reference frames (most B-frames) while the next wanted frame is more than ``_SKIP_MARGIN``
        frames ahead: nothing depends on them. Returns early if a wanted frame was dropped.
        """
        if self._frames is None or self._stream is None:
            raise SeekMismatchError("no open decoder to continue from")
        context = self._stream.codec_context
        margin = _SKIP_MARGIN + self.num_threads  # frame threads delay output, widen the margin
        position = 0
        skipping = skipped_any = False
        for frame in self._frames:
            index = self._identify(frame)
            self.stats.frames_decoded += 1
            self._position = index + 1
            wanted_index = wanted[position]
            if index > wanted_index:
                if skipped_any:
                    self._set_skipping(context, False)
                    return position
                raise SeekMismatchError(f"decoding went from before frame {wanted_index} to frame {index}")
            if index == wanted_index:
                out.append(self._convert(frame, target))
                position += 1
                if position == len(wanted):
                    self._set_skipping(context, False)
                    return position
            far = skip_far_frames and index + margin < wanted[position]
            if far != skipping:
                self._set_skipping(context, far)
                skipping, skipped_any = far, skipped_any or far
        self._frames = None
        raise VideoDecodeError(
            self.path, f"the stream ended before frame {wanted[position]} although the probe decoded "
                       f"{self.frame_table.num_frames} frames; the file may have changed since it was probed",
            backend=self.name, frame_indices=list(wanted))

    def _set_skipping(self, context: av.codec.context.CodecContext, skipping: bool) -> None:
        context.skip_frame = "NONREF" if skipping else "DEFAULT"

    def _identify(self, frame: av.VideoFrame) -> int:
        if not self._recognise_by_pts:
            return 0 if self._position is None else self._position
        if self._pts_to_index is None:
            self._pts_to_index = {int(p): i for i, p in enumerate(self.frame_table.all_pts())}
        index = None if frame.pts is None else self._pts_to_index.get(int(frame.pts))
        if index is None:
            raise SeekMismatchError(f"decoded a frame with pts {frame.pts}, which the frame table lacks")
        return index

    def _convert(self, frame: av.VideoFrame, target: tuple[int, int] | None) -> av.VideoFrame:
        """The frame as RGB at ``target`` size: colour conversion and (area) resize in one swscale call."""
        self.stats.frames_converted += 1
        if target is None:
            return self._reformatter.reformat(frame, format="rgb24", threads=self.num_threads)
        height, width = target
        return self._reformatter.reformat(frame, width, height, "rgb24", interpolation="AREA",
                                          threads=self.num_threads)


class _FrameBuffer:
    """The output ``uint8 [N, H, W, 3]`` array, filled one RGB frame at a time with a single copy each."""

    def __init__(self, count: int) -> None:
        self._count, self._filled = count, 0
        self.array = np.zeros((0, 0, 0, 3), dtype=np.uint8)

    def append(self, rgb: av.VideoFrame) -> None:
        plane = rgb.planes[0]
        data = np.frombuffer(memoryview(plane), dtype=np.uint8)[: rgb.height * plane.line_size]
        rows = data.reshape(rgb.height, plane.line_size)
        if self._filled == 0:
            self.array = np.empty((self._count, rgb.height, rgb.width, 3), dtype=np.uint8)
        elif self.array.shape[1:3] != (rgb.height, rgb.width):
            raise ValueError(f"the frame size changes inside the video (from {self.array.shape[2]}x"
                             f"{self.array.shape[1]} to {rgb.width}x{rgb.height}); pass size=(height, width) "
                             "to get frames of one size")
        self.array[self._filled] = rows[:, : rgb.width * 3].reshape(rgb.height, rgb.width, 3)
        self._filled += 1
