"""The io test matrix: small barcode videos of many codecs and layouts, and lazy per-case oracle and probe.

Each case names a spec; a case whose encoder this PyAV build lacks is skipped with the encoder named. The
sequential-decode oracle (``tests/helpers/reference.py``) and the probe of each file are computed once.
"""

from __future__ import annotations

from pathlib import Path

import av

from temporal_ssl.io import probe_video
from temporal_ssl.types import VideoMetadata
from tests.helpers.reference import SequentialDecode, decode_sequentially
from tests.helpers.video_factory import VideoSpec, write_concatenated_copy, write_video

_VP9_FAST = {"deadline": "realtime", "cpu-used": "8"}

SPECS: dict[str, VideoSpec] = {spec.name: spec for spec in [
    VideoSpec("h264_bframes", num_frames=90, gop=24, max_b_frames=3),
    VideoSpec("h264_long_gop", num_frames=300, gop=250, max_b_frames=2),
    VideoSpec("h264_all_intra", num_frames=30, gop=1),
    VideoSpec("h264_open_gop_mkv", container="mkv", num_frames=80,
              options={"x264-params": "open-gop=1:keyint=24:min-keyint=24:bframes=3:scenecut=0"}),
    VideoSpec("h264_intra_refresh", num_frames=80,
              options={"x264-params": "intra-refresh=1:keyint=24:bframes=0"}),
    VideoSpec("mpeg4_xvid_avi", codec="mpeg4", container="avi", codec_tag="XVID", num_frames=80, gop=24,
              max_b_frames=2),
    VideoSpec("vp9_webm", codec="libvpx-vp9", container="webm", num_frames=60, gop=24, options=_VP9_FAST),
    VideoSpec("mjpeg_avi", codec="mjpeg", container="avi", pix_fmt="yuvj420p", num_frames=30),
    VideoSpec("h264_vfr", num_frames=60, gop=20, frame_durations=(40, 20, 60, 33)),
    VideoSpec("h264_odd_444", width=67, height=51, pix_fmt="yuv444p", num_frames=40, gop=12),
    VideoSpec("h264_rotated_90", num_frames=40, gop=12, rotation=90),
    VideoSpec("h264_1_frame", num_frames=1),
    VideoSpec("h264_2_frames", num_frames=2, max_b_frames=1),
    VideoSpec("h264_3_frames", num_frames=3, max_b_frames=2),
    VideoSpec("h264_ts_segment", container="ts", num_frames=40, gop=12, max_b_frames=2),
]}
CONCATENATED = "h264_ts_joined"
"""Two copies of ``h264_ts_segment`` joined byte for byte: pts restart halfway, so no backend may seek."""
CASES = [*SPECS, CONCATENATED]


def _missing_encoder(codec: str) -> str | None:
    try:
        av.codec.Codec(codec, "w")
    except av.codec.codec.UnknownCodecError:
        return f"encoder '{codec}' is not available in this PyAV build"
    return None


def write_matrix(folder: Path) -> dict[str, Path | str]:
    """Write every case into ``folder``: case name → file, or the reason it could not be written."""
    written: dict[str, Path | str] = {}
    for name, spec in SPECS.items():
        reason = _missing_encoder(spec.codec)
        written[name] = reason if reason else write_video(folder / spec.filename, spec)
    segment = written["h264_ts_segment"]
    written[CONCATENATED] = (segment if isinstance(segment, str)
                             else write_concatenated_copy(segment, folder / f"{CONCATENATED}.ts"))
    return written


class IoCase:
    """One matrix video: its path, its sequential-decode oracle and its probe (computed on first use)."""

    def __init__(self, name: str, path: Path, oracles: dict[str, SequentialDecode],
                 probes: dict[str, VideoMetadata]) -> None:
        self.name, self.path = name, path
        self._oracles, self._probes = oracles, probes

    @property
    def oracle(self) -> SequentialDecode:
        if self.name not in self._oracles:
            self._oracles[self.name] = decode_sequentially(self.path)
        return self._oracles[self.name]

    @property
    def metadata(self) -> VideoMetadata:
        if self.name not in self._probes:
            self._probes[self.name] = probe_video(self.path)
        return self._probes[self.name]
