"""Each decoding library used the obvious way, as a baseline: open per sample, one call (one seek) per clip.

These are what a user writes without temporal_ssl: every clip is fetched on its own, so a library re-seeks
and re-decodes from the keyframe for every clip; output is resized to the benchmark size by the library at
decode time where it can. They make no exactness checks (the raw PyAV reader maps frame index to time with
the average frame rate), which only flatters them.
"""

from __future__ import annotations

from collections.abc import Callable

import av
import torch

from benchmarks.decode_patterns import Clips

RawReader = Callable[[str, Clips, tuple[int, int], str], list[torch.Tensor]]


def read_with_pyav(path: str, clips: Clips, size: tuple[int, int], device: str) -> list[torch.Tensor]:
    """Seek to each clip's first frame by time, decode forward, convert and resize only the clip's frames."""
    height, width = size
    out = []
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        rate = float(stream.average_rate or stream.guessed_rate or 25)
        time_base = float(stream.time_base or 1)
        start = stream.start_time or 0
        for clip in clips:
            wanted = set(clip)
            container.seek(start + int(clip[0] / rate / time_base), stream=stream, backward=True)
            frames: dict[int, torch.Tensor] = {}
            for frame in container.decode(stream):
                index = round(((frame.pts or 0) - start) * time_base * rate)
                if index in wanted and index not in frames:
                    rgb = frame.to_ndarray(format="rgb24", width=width, height=height)
                    frames[index] = torch.from_numpy(rgb)
                if index >= clip[-1]:
                    break
            # The time-to-index guess can miss frames (variable rate): fill in, as a careless reader would.
            filler = frames[max(frames)] if frames else torch.zeros((height, width, 3), dtype=torch.uint8)
            out.append(torch.stack([frames.get(i, filler) for i in clip]).permute(0, 3, 1, 2))
    return out


def read_with_decord(path: str, clips: Clips, size: tuple[int, int], device: str) -> list[torch.Tensor]:
    """``decord.VideoReader(width, height).get_batch(clip)`` per clip."""
    import decord

    reader = decord.VideoReader(path, ctx=decord.cpu(0), width=size[1], height=size[0], num_threads=1)
    out = [torch.from_numpy(reader.get_batch(clip).asnumpy()).permute(0, 3, 1, 2) for clip in clips]
    del reader
    return out


def read_with_torchcodec(path: str, clips: Clips, size: tuple[int, int], device: str) -> list[torch.Tensor]:
    """``VideoDecoder(transforms=[Resize(size)]).get_frames_at(clip)`` per clip (exact seek mode)."""
    from torchcodec.decoders import VideoDecoder
    from torchcodec.transforms import Resize

    decoder = VideoDecoder(path, num_ffmpeg_threads=1, device=device, transforms=[Resize(size)])
    return [decoder.get_frames_at(clip).data for clip in clips]


RAW_READERS: dict[str, RawReader] = {
    "pyav": read_with_pyav,
    "decord": read_with_decord,
    "torchcodec": read_with_torchcodec,
}
