"""A generated stand-in for Kinetics clips: H.264 in MP4, short side 256, 10 s, x264's default settings.

It lets the benchmarks run where Kinetics is not at hand. These files have what matters to decoding speed:
the size, the length, libx264's defaults (``medium`` preset: B-frames, ``keyint=250`` with scene-cut
keyframes) and content that moves (a textured background panning, moving blobs, a scene cut), so the encoder
spends bits as on real footage and inserts keyframes where the picture changes.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    coarse = rng.integers(0, 256, size=(height // 16 + 2, width // 16 + 2, 3)).astype(np.float32)
    smooth = np.kron(coarse, np.ones((16, 16, 1), dtype=np.float32))[:height, :width]
    detail = rng.normal(0, 12, size=(height, width, 3)).astype(np.float32)
    return np.clip(smooth * 0.8 + detail + 20, 0, 255)


def write_kinetics_like_video(path: str | Path, *, seconds: float = 10.0, fps: int = 25,
                              short_side: int = 256, aspect: float = 16 / 9, seed: int = 0) -> Path:
    """Encode one clip of ``seconds`` at ``fps`` with libx264 defaults; returns the path."""
    rng = np.random.default_rng(seed)
    height, width = short_side, int(round(short_side * aspect / 2)) * 2
    scenes = [_texture(rng, height * 2, width * 2) for _ in range(2)]
    blobs = rng.uniform(0, 1, size=(4, 4))  # x, y, vx, vy
    ys, xs = np.mgrid[0:height, 0:width]
    num_frames = int(seconds * fps)
    path = Path(path)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(num_frames):
            scene = scenes[0] if index < num_frames * 0.6 else scenes[1]  # one cut, like an edited video
            dy, dx = int(height * 0.5 * (1 + np.sin(index / 40))), (2 * index) % width
            picture = scene[dy:dy + height, dx:dx + width].copy()
            for x, y, vx, vy in blobs:
                cx = (x + vx * index / num_frames) % 1 * width
                cy = (y + vy * index / num_frames) % 1 * height
                inside = (xs - cx) ** 2 + (ys - cy) ** 2 < (height / 10) ** 2
                picture[inside] = 255 - picture[inside]
            frame = av.VideoFrame.from_ndarray(picture.astype(np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_kinetics_like(folder: str | Path, num_videos: int = 6, *, seconds: float = 10.0, fps: int = 25,
                        short_side: int = 256) -> Path:
    """Write ``num_videos`` Kinetics-like clips into ``folder`` (kept if present); returns ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(num_videos):
        path = folder / f"kinetics_like_{number:03d}.mp4"
        if not path.exists():
            partial = path.with_suffix(".partial.mp4")
            write_kinetics_like_video(partial, seconds=seconds, fps=fps, short_side=short_side, seed=number)
            partial.rename(path)
    return folder
