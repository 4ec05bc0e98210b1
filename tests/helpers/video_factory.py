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

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.container}"


def write_video(path: str | Path, spec: VideoSpec) -> Path:
    """Encode ``spec.num_frames`` barcode frames with PyAV and return the path."""
    path = Path(path)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(spec.codec, rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, spec.pix_fmt
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
            frame = av.VideoFrame.from_ndarray(barcode_frame(index, spec.height, spec.width), format="rgb24")
            if spec.frame_durations is not None:
                frame.pts = pts
                frame.time_base = Fraction(1, spec.time_base_den)
                pts += spec.frame_durations[index % len(spec.frame_durations)]
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
