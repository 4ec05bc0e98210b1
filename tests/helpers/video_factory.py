"""Write small test videos whose frames carry their own index as a coarse barcode.

Each frame paints its index as 16 black/white cells (2 rows x 8 columns over the top 60% of the frame) that
survive lossy compression, plus a moving gradient below so encoders see motion. ``read_barcode`` recovers the
index from any decoded frame, so a test can tell exactly which frame a backend returned without stored
reference frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

BARCODE_ROWS, BARCODE_COLS = 2, 8
BARCODE_BITS = BARCODE_ROWS * BARCODE_COLS
BARCODE_HEIGHT_FRACTION = 0.6


def _cell_bounds(height: int, width: int, row: int, col: int) -> tuple[int, int, int, int]:
    band = int(height * BARCODE_HEIGHT_FRACTION)
    y0, y1 = row * band // BARCODE_ROWS, (row + 1) * band // BARCODE_ROWS
    x0, x1 = col * width // BARCODE_COLS, (col + 1) * width // BARCODE_COLS
    return y0, y1, x0, x1


def barcode_frame(index: int, height: int, width: int) -> np.ndarray:
    """An RGB uint8 ``[H, W, 3]`` frame showing ``index`` as a barcode above a moving gradient."""
    if not 0 <= index < 2**BARCODE_BITS:
        raise ValueError(f"index {index} does not fit in {BARCODE_BITS} bits")
    frame = np.empty((height, width, 3), dtype=np.uint8)
    band = int(height * BARCODE_HEIGHT_FRACTION)
    xs = np.arange(width)[None, :]
    ys = np.arange(height - band)[:, None]
    frame[band:, :, 0] = ((xs * 4 + index * 7) % 256).astype(np.uint8)
    frame[band:, :, 1] = ((ys * 6 + index * 3) % 256).astype(np.uint8)
    frame[band:, :, 2] = 128
    for bit in range(BARCODE_BITS):
        y0, y1, x0, x1 = _cell_bounds(height, width, bit // BARCODE_COLS, bit % BARCODE_COLS)
        frame[y0:y1, x0:x1] = 255 if (index >> bit) & 1 else 0
    return frame


def read_barcode(frame: np.ndarray) -> int:
    """The index painted by :func:`barcode_frame`; accepts ``[H, W, 3]`` or ``[3, H, W]`` (numpy or torch)."""
    array = np.asarray(frame)
    if array.ndim == 3 and array.shape[0] == 3 and array.shape[-1] != 3:
        array = array.transpose(1, 2, 0)
    gray = array.astype(np.float32).mean(axis=-1)
    height, width = gray.shape
    index = 0
    for bit in range(BARCODE_BITS):
        y0, y1, x0, x1 = _cell_bounds(height, width, bit // BARCODE_COLS, bit % BARCODE_COLS)
        # Read the centre of the cell: edges blur under lossy codecs and chroma subsampling.
        cy0, cy1 = y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4
        cx0, cx1 = x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4
        if gray[cy0:max(cy1, cy0 + 1), cx0:max(cx1, cx0 + 1)].mean() > 127.5:
            index |= 1 << bit
    return index


@dataclass(frozen=True)
class VideoSpec:
    """How to encode one generated test video.

    ``frame_durations`` (in ``1/time_base_den`` units) makes a variable-frame-rate file; ``None`` is constant.
    ``codec_tag`` overrides the fourcc (e.g. ``"XVID"``). ``rotation`` stores a display matrix asking for that
    many degrees counter-clockwise; frames are painted so that they read correctly once rotated, and
    ``height``/``width`` are then the stored (not the upright) size. ``container_options`` go to the muxer.
    """

    name: str
    codec: str = "libx264"
    container: str = "mp4"
    num_frames: int = 60
    height: int = 64
    width: int = 96
    fps: int = 25
    pix_fmt: str = "yuv420p"
    gop: int | None = None
    max_b_frames: int | None = None
    options: dict[str, str] = field(default_factory=dict)
    frame_durations: tuple[int, ...] | None = None
    time_base_den: int = 1000
    codec_tag: str | None = None
    rotation: int = 0
    container_options: dict[str, str] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.container}"


def write_video(path: str | Path, spec: VideoSpec) -> Path:
    """Encode ``spec.num_frames`` barcode frames with PyAV and return the path."""
    path = Path(path)
    turns = (spec.rotation // 90) % 4
    upright_height, upright_width = (spec.width, spec.height) if turns % 2 else (spec.height, spec.width)
    with av.open(str(path), mode="w", container_options=dict(spec.container_options)) as container:
        stream = container.add_stream(spec.codec, rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, spec.pix_fmt
        if spec.codec_tag is not None:
            stream.codec_context.codec_tag = spec.codec_tag
        if turns:
            stream.set_display_rotation(spec.rotation)
        if spec.gop is not None:
            stream.codec_context.gop_size = spec.gop
        if spec.max_b_frames is not None:
            stream.codec_context.max_b_frames = spec.max_b_frames
        if spec.options:
            stream.codec_context.options = dict(spec.options)
        if spec.frame_durations is not None:
            stream.codec_context.time_base = Fraction(1, spec.time_base_den)
        pts = 0
        for index in range(spec.num_frames):
            upright = barcode_frame(index, upright_height, upright_width)
            stored = np.ascontiguousarray(np.rot90(upright, k=-turns)) if turns else upright
            frame = av.VideoFrame.from_ndarray(stored, format="rgb24")
            if spec.frame_durations is not None:
                frame.pts = pts
                frame.time_base = Fraction(1, spec.time_base_den)
                pts += spec.frame_durations[index % len(spec.frame_durations)]
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_audio_only(path: str | Path, seconds: float = 0.5) -> Path:
    """A valid media file with one AAC audio stream and no video stream."""
    path = Path(path)
    rate = 16000
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("aac", rate=rate)
        samples = np.sin(np.arange(int(seconds * rate)) * 0.05).astype(np.float32)[None, :]
        for start in range(0, samples.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, start:start + 1024]),
                                               format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_truncated_copy(source: str | Path, path: str | Path, keep_fraction: float) -> Path:
    """The first ``keep_fraction`` of ``source``'s bytes (a download that stopped early)."""
    data = Path(source).read_bytes()
    path = Path(path)
    path.write_bytes(data[: int(len(data) * keep_fraction)])
    return path


def write_corrupted_copy(source: str | Path, path: str | Path, start: int, length: int,
                         seed: int = 0) -> Path:
    """``source`` with ``length`` bytes from ``start`` replaced by random bytes."""
    data = bytearray(Path(source).read_bytes())
    noise = np.random.default_rng(seed).integers(0, 256, size=length, dtype=np.uint8).tobytes()
    data[start:start + length] = noise[: max(0, min(length, len(data) - start))]
    path = Path(path)
    path.write_bytes(bytes(data))
    return path


def write_concatenated_copy(source: str | Path, path: str | Path, times: int = 2) -> Path:
    """``source`` repeated byte for byte (MPEG-TS allows it): timestamps restart at every joint, as in
    recordings cut and joined, so pts repeat and seeking by timestamp cannot be exact."""
    data = Path(source).read_bytes()
    path = Path(path)
    path.write_bytes(data * times)
    return path
