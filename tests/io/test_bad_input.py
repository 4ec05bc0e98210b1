"""Every bad input raises VideoDecodeError naming the file and the cause; partly damaged files are served."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from temporal_ssl.errors import BackendUnavailableError, ConfigError, VideoDecodeError
from temporal_ssl.io import open_video, probe_video
from tests.helpers.reference import decode_sequentially
from tests.helpers.video_factory import (
    VideoSpec,
    read_barcode,
    write_audio_only,
    write_corrupted_copy,
    write_truncated_copy,
    write_video,
)


def _missing(folder: Path) -> Path:
    return folder / "nowhere" / "clip.mp4"


def _directory(folder: Path) -> Path:
    (folder / "clips.mp4").mkdir()
    return folder / "clips.mp4"


def _empty(folder: Path) -> Path:
    (folder / "empty.mp4").write_bytes(b"")
    return folder / "empty.mp4"


def _text(folder: Path) -> Path:
    (folder / "notes.mp4").write_text("these are not the frames you are looking for\n" * 50)
    return folder / "notes.mp4"


def _audio_only(folder: Path) -> Path:
    return write_audio_only(folder / "speech.m4a")


def _truncated_mp4(folder: Path) -> Path:
    # MP4 writes its index (moov) at the end: a cut file has no index and cannot be opened.
    source = write_video(folder / "whole.mp4", VideoSpec("whole", num_frames=30, gop=10))
    return write_truncated_copy(source, folder / "cut.mp4", 0.7)


def _corrupted_header(folder: Path) -> Path:
    source = write_video(folder / "whole.mkv", VideoSpec("whole", container="mkv", num_frames=20, gop=5))
    return write_corrupted_copy(source, folder / "noise.mkv", 0, source.stat().st_size)


def _corrupted_payload(folder: Path) -> Path:
    source = write_video(folder / "whole.avi", VideoSpec("whole", codec="mjpeg", container="avi",
                                                         pix_fmt="yuvj420p", num_frames=20))
    return write_corrupted_copy(source, folder / "noise.avi", 200, source.stat().st_size)


BAD_FILES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing": (_missing, "does not exist"),
    "directory": (_directory, "is a directory"),
    "empty": (_empty, "is empty (0 bytes)"),
    "text_named_mp4": (_text, "cannot read it as a media file"),
    "audio_only": (_audio_only, "has no video stream (streams found: audio)"),
    "truncated_mp4": (_truncated_mp4, "cannot read it as a media file"),
    "corrupted_header": (_corrupted_header, "cannot read it as a media file"),
    "corrupted_payload": (_corrupted_payload, "no frame could be decoded"),
}


@pytest.mark.parametrize("entry", ["probe_video", "open_video"])
@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_file_raises_video_decode_error_naming_the_file(tmp_path: Path, case: str, entry: str) -> None:
    make, cause = BAD_FILES[case]
    path = make(tmp_path)
    call = probe_video if entry == "probe_video" else open_video
    with pytest.raises(VideoDecodeError, match=re.escape(str(path))) as raised:
        call(path)
    assert cause in str(raised.value)
    assert raised.value.path == str(path)


def test_file_damaged_after_its_start_serves_the_frames_before_the_damage(tmp_path: Path) -> None:
    source = write_video(tmp_path / "whole.mkv", VideoSpec("whole", container="mkv", num_frames=20, gop=5))
    damaged = write_corrupted_copy(source, tmp_path / "damaged.mkv", 3000, source.stat().st_size)
    oracle = decode_sequentially(damaged)  # stops at the first error
    metadata = probe_video(damaged)
    assert 0 < oracle.num_frames <= metadata.num_frames < 20
    with open_video(damaged, metadata=metadata) as reader:
        frames = reader.get_frames(list(range(oracle.num_frames)))
    assert [read_barcode(f.permute(1, 2, 0).numpy()) for f in frames] == oracle.barcodes


@pytest.fixture
def small_video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "small.mp4", VideoSpec("small", num_frames=12, gop=4))


@pytest.mark.parametrize("bad_index", [12, 400, -1])
def test_index_out_of_range_names_the_file_and_the_valid_range(small_video: Path, bad_index: int) -> None:
    with open_video(small_video) as reader:
        with pytest.raises(VideoDecodeError, match=re.escape(str(small_video))) as raised:
            reader.get_frames([0, bad_index])
    assert f"frame index {bad_index} is outside [0, 12)" in str(raised.value)
    assert raised.value.frame_indices == [0, bad_index]


def test_non_integer_indices_are_a_type_error(small_video: Path) -> None:
    with open_video(small_video) as reader, pytest.raises(TypeError, match="must be integers"):
        reader.get_frames([1.5, 2.0])


def test_unknown_backend_lists_the_valid_ones(small_video: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("unknown video backend 'decrod'")) as raised:
        open_video(small_video, backend="decrod")
    assert "Did you mean 'decord'?" in str(raised.value)


def test_missing_backend_names_the_pip_package(small_video: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import temporal_ssl.io.backends as backends

    real = backends._import_problem
    missing = "ModuleNotFoundError: No module named 'decord'"
    monkeypatch.setattr(backends, "_import_problem", lambda name: missing if name == "decord" else real(name))
    assert "decord" not in backends.available_backends()
    with pytest.raises(BackendUnavailableError, match=re.escape("`pip install 'temporal_ssl[decord]'`")):
        open_video(small_video, backend="decord")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present; the CUDA path is tested instead")
def test_cuda_without_a_gpu_says_so(small_video: Path) -> None:
    with pytest.raises(BackendUnavailableError, match=re.escape("torch.cuda.is_available() is False")):
        open_video(small_video, device="cuda")


def test_cuda_with_a_cpu_only_backend_is_a_config_error(small_video: Path) -> None:
    with pytest.raises(ConfigError, match="decodes on the CPU only"):
        open_video(small_video, backend="decord", device="cuda")
