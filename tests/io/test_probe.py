"""The probe measures what a full sequential decode yields, not what the header claims."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

import temporal_ssl.io.probe as probe_module
from temporal_ssl.frame_table import FrameTable
from temporal_ssl.io import open_video, probe_video
from temporal_ssl.types import VideoMetadata
from tests.helpers.io_matrix import CASES, SPECS, IoCase
from tests.helpers.reference import decode_sequentially, frame_index_at_time
from tests.helpers.video_factory import VideoSpec, read_barcode, write_truncated_copy, write_video


@pytest.mark.parametrize("io_case", CASES, indirect=True)
def test_probe_matches_the_sequential_decode(io_case: IoCase) -> None:
    oracle, metadata = io_case.oracle, io_case.metadata
    table = metadata.frame_table
    assert metadata.num_frames == oracle.num_frames == table.num_frames
    assert list(table.keyframe_indices) == oracle.keyframes
    distinct_pts = None not in oracle.pts and len(set(oracle.pts)) == oracle.num_frames
    assert table.pts_from_decoder == distinct_pts
    if distinct_pts:  # the decoder's pts are kept as they are (frames are recognised by them)
        assert table.all_pts().tolist() == oracle.pts
    assert metadata.motion is not None and len(metadata.motion) == oracle.num_frames
    assert metadata.motion[0] == 0.0
    height, width = oracle.frames[0].shape[:2]
    assert (metadata.height, metadata.width) == (height, width)
    assert metadata.file_size == os.path.getsize(io_case.path)


@pytest.mark.parametrize("io_case", ["h264_bframes", "mjpeg_avi", "vp9_webm"], indirect=True)
def test_constant_rate_fps_and_duration(io_case: IoCase) -> None:
    spec = SPECS[io_case.name]
    metadata = io_case.metadata
    assert metadata.fps == pytest.approx(spec.fps)
    assert metadata.duration_seconds == pytest.approx(spec.num_frames / spec.fps, abs=1e-6)
    assert metadata.codec == {"libx264": "h264", "mjpeg": "mjpeg", "libvpx-vp9": "vp9"}[spec.codec]


@pytest.mark.parametrize("io_case", ["h264_vfr"], indirect=True)
def test_variable_frame_rate_times_come_from_the_content(io_case: IoCase) -> None:
    spec = SPECS[io_case.name]
    assert spec.frame_durations is not None
    durations = [spec.frame_durations[i % len(spec.frame_durations)] / 1000 for i in range(spec.num_frames)]
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    metadata = io_case.metadata
    table = metadata.frame_table
    assert [table.time_seconds(i) for i in range(spec.num_frames)] == pytest.approx(starts.tolist(), abs=1e-4)
    # The muxer, not the spec, decides how long the last frame lasts; it must be a plausible frame length.
    assert starts[-1] + 0.015 < metadata.duration_seconds < starts[-1] + 0.1
    assert metadata.fps == pytest.approx(spec.num_frames / metadata.duration_seconds, rel=0.01)
    assert metadata.fps != pytest.approx(spec.fps, rel=0.02)  # the header's 25 fps is not the content's rate
    assert frame_index_at_time(table, starts[37] + 1e-3) == 37


def test_motion_profile_is_zero_for_repeated_frames_and_positive_for_changes(tmp_path: Path) -> None:
    """Frames repeat in pairs: every odd frame equals the one before it, every even frame changes."""
    path = tmp_path / "pairs.avi"
    spec = VideoSpec("pairs", codec="mjpeg", container="avi", pix_fmt="yuvj420p", num_frames=12,
                     options={"qmin": "1", "qmax": "1"})
    # Paint frame i with barcode i // 2 by writing each barcode frame twice.
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(spec.codec, rate=spec.fps)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, spec.pix_fmt
        stream.codec_context.options = dict(spec.options)
        from tests.helpers.video_factory import barcode_frame

        for index in range(spec.num_frames):
            picture = barcode_frame(index // 2 * 37, spec.height, spec.width)
            frame = av.VideoFrame.from_ndarray(picture, "rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    motion = probe_video(path).motion
    assert motion is not None
    assert max(motion[1::2]) < 0.5  # repeated frames: no motion
    assert min(motion[2::2]) > 5.0  # a new barcode: large luma change


def test_truncated_file_reports_and_serves_the_frames_that_decode(tmp_path: Path) -> None:
    spec = VideoSpec("full", codec="mpeg4", container="avi", num_frames=60, gop=12, max_b_frames=2)
    source = write_video(tmp_path / "full.avi", spec)
    truncated = write_truncated_copy(source, tmp_path / "cut.avi", 0.6)
    with av.open(str(truncated)) as container:
        claimed = container.streams.video[0].frames  # the AVI header still claims every frame
    oracle = decode_sequentially(truncated)
    metadata = probe_video(truncated)
    assert claimed == 60 and 0 < metadata.num_frames < 60
    assert metadata.num_frames >= oracle.num_frames
    with open_video(truncated, metadata=metadata) as reader:
        frames = reader.get_frames(list(range(oracle.num_frames)))
    assert [read_barcode(f.permute(1, 2, 0).numpy()) for f in frames] == oracle.barcodes


def test_probe_is_cached_per_file_version(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    write_video(path, VideoSpec("v", num_frames=20, gop=5))
    first = probe_video(path)
    assert probe_video(path) == first
    write_video(path, VideoSpec("v", num_frames=33, gop=5))
    later = first.mtime_ns + 10**9  # a new version, even on file systems with coarse clocks
    os.utime(path, ns=(later, later))
    assert probe_video(path).num_frames == 33


def test_probe_without_verification_measures_the_same_and_a_later_verification_still_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``backends=[]`` skips the check frames (the costly part on short files), nothing else."""
    path = tmp_path / "v.mp4"
    write_video(path, VideoSpec("v", num_frames=40, gop=8))
    unverified = probe_video(path, backends=[])
    assert unverified.frame_table is not None and unverified.frame_table.seek_exact_backends == ()
    verified_by = []
    real_verify = probe_module.verify_seeking

    def counting_verify(backend: str, *args: object, **kwargs: object) -> bool:
        verified_by.append(backend)
        return real_verify(backend, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(probe_module, "verify_seeking", counting_verify)
    verified = probe_video(path, backends=["pyav"])  # same process: rescans to collect check frames
    assert verified_by == ["pyav"]
    assert verified.frame_table is not None and verified.frame_table.seek_exact_backends == ("pyav",)
    assert replace(verified, frame_table=replace(verified.frame_table, seek_exact_backends=())) == unverified


def test_open_video_reprobes_when_the_file_changed_since_indexing(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    write_video(path, VideoSpec("v", num_frames=20, gop=5))
    stale = probe_video(path)
    write_video(path, VideoSpec("v", num_frames=31, gop=5))
    os.utime(path, ns=(stale.mtime_ns + 10**9, stale.mtime_ns + 10**9))
    with open_video(path, metadata=stale) as reader:
        assert reader.metadata.num_frames == 31
        assert read_barcode(reader.get_frames([30])[0].permute(1, 2, 0).numpy()) == 30


@pytest.mark.parametrize("io_case", ["mpeg4_xvid_avi"], indirect=True)
def test_metadata_from_an_index_opens_without_probing(io_case: IoCase,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    stored = VideoMetadata.from_dict(io_case.metadata.to_dict())  # as a corpus index keeps it
    monkeypatch.setattr("temporal_ssl.io.probe_video", lambda *a, **k: pytest.fail("probed again"))
    with open_video(io_case.path, metadata=stored) as reader:
        frames = reader.get_frames([79, 3, 40])
    assert [read_barcode(f.permute(1, 2, 0).numpy()) for f in frames] == [79, 3, 40]


def test_mislabeled_pts_keep_presentation_times_in_display_order() -> None:
    """Packed B-frames in AVI: frames come out in display order but carry swapped pts (Megamind.avi)."""
    table = FrameTable.from_pts([1, 2, 3, 5, 4, 6, 8, 7], time_base=0.5, keyframe_indices=[0])
    assert table.pts(3) == 5  # the label the decoder gives, used to recognise the frame after a seek
    assert [table.time_seconds(i) for i in range(8)] == [0.5 * i for i in range(8)]
    assert frame_index_at_time(table, 1.6) == 3
    assert table.presentation_seconds().tolist() == [0.5 * p for p in range(1, 9)]
