"""The cheap probe (frame table from the demuxer, a few stretches decoded): it gives the full probe's frame
table wherever it vouches for a file, hands every doubtful case to the full probe, and keeps motion good
enough for motion-weighted window choice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from temporal_ssl.io import probe as probe_module
from temporal_ssl.io.probe import clear_probe_cache, probe_video
from temporal_ssl.pretext.motion import motion_weighted_starts, window_motion_scores
from temporal_ssl.types import VideoMetadata
from tests.helpers.io_matrix import CASES, IoCase
from tests.helpers.reference import decode_sequentially
from tests.helpers.video_factory import barcode_frame

# Which probe each matrix case gets: the packets where they can vouch, the full decode where they cannot.
EXPECTED_KIND = {
    "h264_bframes": "packets", "vp9_webm": "packets", "h264_vfr": "packets", "h264_rotated_90": "packets",
    "h264_odd_444": "packets",
    "h264_long_gop": "full decode",  # one keyframe: checking it would decode the whole file anyway
    "h264_all_intra": "packets",
    "h264_open_gop_mkv": "full decode",  # keyframes that are no IDR pictures
    "h264_intra_refresh": "full decode",
    "mpeg4_xvid_avi": "full decode",  # packed B-frames: a packet may hold two frames
    "mjpeg_avi": "full decode", "h264_ts_segment": "full decode",  # no packet index to trust
    "h264_1_frame": "full decode", "h264_2_frames": "full decode", "h264_3_frames": "full decode",
}


def _probe_both(path: Path | str) -> tuple[VideoMetadata, VideoMetadata, str]:
    """(default probe, full-decode probe, which kind the default used), without seek verification."""
    clear_probe_cache()
    before = probe_module.PROBE_KINDS.copy()
    default = probe_video(path, backends=[])
    kind = next(iter((probe_module.PROBE_KINDS - before).keys()))
    full = probe_video(path, backends=[], force_full=True)
    return default, full, kind


def _same_measurements(a: VideoMetadata, b: VideoMetadata) -> None:
    assert replace(a, motion=None) == replace(b, motion=None)  # frame table, counts, rate, size, rotation


@pytest.mark.parametrize("io_case", CASES, indirect=True)
def test_the_packets_give_the_full_probe_s_frame_table(io_case: IoCase) -> None:
    default, full, kind = _probe_both(io_case.path)
    _same_measurements(default, full)
    if io_case.name in EXPECTED_KIND:
        assert kind == EXPECTED_KIND[io_case.name]
    assert default.motion is not None and len(default.motion) == default.num_frames


def _h264_packets(container: av.container.OutputContainer, codes: list[int], gop: int) -> list[av.Packet]:
    """Encode one barcode frame per code (96x64, 25 fps, B-frames) into a new stream; the packets, unmuxed."""
    stream = container.add_stream("libx264", rate=25)
    stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
    stream.codec_context.options = {"g": str(gop), "bf": "2"}
    packets = []
    for code in codes:
        packets += stream.encode(av.VideoFrame.from_ndarray(barcode_frame(code, 64, 96), "rgb24"))
    return packets + list(stream.encode())


@pytest.fixture(scope="session")
def edit_list_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MP4 whose edit list hides its first two frames: packets are marked to be discarded."""
    path = tmp_path_factory.mktemp("edit_list") / "edit_list.mp4"
    with av.open(str(path), "w") as container:
        packets = _h264_packets(container, list(range(60)), gop=12)
        shift = int(2 / (25 * packets[0].time_base))  # two frames before time 0: the muxer cuts them
        for packet in packets:
            packet.pts, packet.dts = packet.pts - shift, packet.dts - shift
            container.mux(packet)
    return path


def test_an_edit_list_that_cuts_frames_gets_the_full_probe(edit_list_mp4: Path) -> None:
    default, full, kind = _probe_both(edit_list_mp4)
    assert kind == "full decode"
    assert default.num_frames == decode_sequentially(edit_list_mp4).num_frames == 58
    _same_measurements(default, full)


@pytest.fixture(scope="session")
def still_moving_still(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """H.264 with B-frames: 40 identical frames, 40 frames that all differ, 40 identical frames."""
    path = tmp_path_factory.mktemp("motion") / "still_moving_still.mp4"
    with av.open(str(path), "w") as container:
        codes = [0 if i < 40 else 500 if i >= 80 else i * 7 for i in range(120)]
        for packet in _h264_packets(container, codes, gop=16):
            container.mux(packet)
    return path


def test_motion_weighted_windows_match_the_full_decode_profile(still_moving_still: Path) -> None:
    default, full, kind = _probe_both(still_moving_still)
    assert kind == "packets"
    window, percentile = 8, 65  # 47 of the 113 windows overlap the moving part: the top 35% lie in it

    def kept(profile: tuple[float, ...]) -> set[int]:
        scores = window_motion_scores(profile, window)
        return {int(s) for s in np.flatnonzero(scores >= np.percentile(scores, percentile))}

    moving, cheap = kept(full.motion), kept(default.motion)
    assert len(moving & cheap) >= 0.9 * len(moving)  # the same high-motion windows
    starts = motion_weighted_starts(default.motion, window, 200, np.random.default_rng(0),
                                    min_percentile=percentile)
    assert np.isin(starts, sorted(moving)).mean() >= 0.9
    assert 33 <= starts.min() and starts.max() <= 80  # every window drawn overlaps the moving part


REAL_VIDEOS = Path(__file__).parents[3] / "shared" / "videos"


@pytest.mark.parametrize("name, kind", [("bikes.mp4", "packets"), ("motion.mov", "full decode"),
                                        ("cockatoo.mp4", "full decode")])
def test_real_files_get_the_full_probe_s_table_or_the_full_probe(name: str, kind: str) -> None:
    """bikes.mp4 is plain H.264; motion.mov has an edit list; cockatoo.mp4's IDR pictures decode differently
    after a seek than across it (no clean entry points), which only decoding reveals."""
    path = REAL_VIDEOS / name
    if not path.is_file():
        pytest.skip(f"{path} is absent (the real sample videos are not in this checkout)")
    default, full, used = _probe_both(path)
    assert used == kind
    _same_measurements(default, full)
