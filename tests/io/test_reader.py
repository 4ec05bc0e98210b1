"""Reader behaviour: one sorted pass, kept position, safe fallback, pickling and DataLoader workers."""

from __future__ import annotations

import bisect
import pickle
from collections.abc import Iterator
from dataclasses import replace

import av
import pytest
import torch
from torch.utils.data import DataLoader, Dataset

import temporal_ssl.io.backend_pyav as backend_pyav
from temporal_ssl.io import VideoReader, available_backends, open_video
from tests.helpers.io_matrix import IoCase
from tests.helpers.video_factory import read_barcode


def _barcodes(frames: torch.Tensor) -> list[int]:
    return [read_barcode(f.permute(1, 2, 0).cpu().numpy()) for f in frames]


@pytest.fixture
def decoded_log(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The pts of every frame the PyAV decoder yields (each yielded frame was decoded once)."""
    log: list[int | None] = []
    original = backend_pyav.decoded_frames

    def recording(container: av.container.InputContainer, stream: av.VideoStream) -> Iterator[av.VideoFrame]:
        for frame in original(container, stream):
            log.append(frame.pts)
            yield frame

    monkeypatch.setattr(backend_pyav, "decoded_frames", recording)
    return log


@pytest.mark.parametrize("io_case", ["h264_bframes", "h264_long_gop", "mpeg4_xvid_avi"], indirect=True)
def test_one_request_decodes_no_frame_twice_and_seeks_once_per_run(
    io_case: IoCase, decoded_log: list[int | None]
) -> None:
    metadata = io_case.metadata
    decoded_log.clear()  # the probe's own seek check may have decoded frames
    table = metadata.frame_table
    assert "pyav" in table.seek_exact_backends
    last = metadata.num_frames - 1
    request = [last, 5, 30, 31, 50, 5, last - 1, 26, 70, 6]
    with open_video(io_case.path, backend="pyav", metadata=metadata) as reader:
        frames = reader.get_frames(request)
        stats = reader.stats
    assert _barcodes(frames) == [io_case.oracle.barcodes[i] for i in request]
    pts_to_index = {p: i for i, p in enumerate(table.all_pts().tolist())}
    decoded = [pts_to_index[p] for p in decoded_log]
    assert len(decoded) == len(set(decoded)), "a frame was decoded twice"
    keyframes = table.keyframe_indices
    keyframe_of = {i: keyframes[bisect.bisect_right(keyframes, i) - 1] for i in set(request)}
    needed = {j for i, k in keyframe_of.items() for j in range(k, i + 1)}
    assert set(decoded) <= needed, "decoded frames no request needed"
    assert stats.seeks + stats.restarts <= len(set(keyframe_of.values()))  # at most one per run (per GOP)
    assert stats.frames_converted == len(set(request))  # only returned frames are converted


@pytest.mark.parametrize("io_case", ["h264_bframes"], indirect=True)
def test_forward_moving_calls_keep_the_decoder_position(io_case: IoCase,
                                                        decoded_log: list[int | None]) -> None:
    metadata = io_case.metadata
    decoded_log.clear()
    with open_video(io_case.path, backend="pyav", metadata=metadata) as reader:
        for request in ([2, 3], [5, 7], [9], [15, 16, 23]):
            assert _barcodes(reader.get_frames(request)) == request
        assert reader.stats.seeks + reader.stats.restarts == 1
        assert len(decoded_log) == len(set(decoded_log)) == 24  # frames 0..23 once each
        assert _barcodes(reader.get_frames([1])) == [1]  # going back restarts
        assert reader.stats.restarts + reader.stats.seeks == 2


@pytest.mark.parametrize(
    ("io_case", "backend"),
    [("mpeg4_xvid_avi", "torchcodec"), ("mpeg4_xvid_avi", "decord"), ("h264_intra_refresh", "torchcodec")],
    indirect=["io_case"],
)
def test_a_backend_claimed_exact_wrongly_is_caught_at_run_time(io_case: IoCase, backend: str) -> None:
    """An index that wrongly lists a backend as exact: the backend's frame-count, timestamp and pts checks
    notice its frames are not the requested ones, and the reader decodes linearly instead."""
    if backend not in available_backends():
        pytest.skip(f"{backend} is not installed")
    metadata = io_case.metadata
    assert backend not in metadata.frame_table.seek_exact_backends
    lying = replace(metadata, frame_table=replace(metadata.frame_table, seek_exact_backends=(backend,)))
    request = [79, 50, 49, 30, 25, 5, 4]
    with open_video(io_case.path, backend=backend, metadata=lying) as reader:
        assert reader.backend == backend and not reader.decodes_linearly
        frames = reader.get_frames(request)
        assert reader.backend == "pyav" and reader.decodes_linearly
    assert _barcodes(frames) == request


@pytest.mark.parametrize("io_case", ["h264_ts_joined"], indirect=True)
def test_auto_decodes_linearly_when_no_backend_seeks_exactly(io_case: IoCase) -> None:
    assert io_case.metadata.frame_table.seek_exact_backends == ()
    request = [70, 5, 45, 79, 0]
    with open_video(io_case.path, metadata=io_case.metadata) as reader:
        assert reader.backend == "pyav" and reader.decodes_linearly
        frames = reader.get_frames(request)
    assert _barcodes(frames) == [io_case.oracle.barcodes[i] for i in request]


@pytest.mark.parametrize("io_case", ["h264_bframes"], indirect=True)
def test_empty_request_returns_an_empty_batch(io_case: IoCase) -> None:
    with open_video(io_case.path, metadata=io_case.metadata) as reader:
        assert reader.get_frames([], size=(8, 10)).shape == (0, 3, 8, 10)
        assert reader.get_frames([]).shape == (0, 3, 64, 96)


@pytest.mark.parametrize("io_case", ["h264_bframes"], indirect=True)
def test_reader_pickles_after_use_and_reopens(io_case: IoCase) -> None:
    reader = open_video(io_case.path, metadata=io_case.metadata)
    reader.get_frames([10])
    copy: VideoReader = pickle.loads(pickle.dumps(reader))
    assert _barcodes(copy.get_frames([40, 3])) == [40, 3]
    assert _barcodes(reader.get_frames([11])) == [11]
    reader.close()
    copy.close()


class _ClipDataset(Dataset):
    def __init__(self, reader: VideoReader) -> None:
        self.reader = reader

    def __len__(self) -> int:
        return 8

    def __getitem__(self, item: int) -> torch.Tensor:
        return self.reader.get_frames([item * 10 + 1, item * 10], size=(32, 48))


@pytest.mark.parametrize("io_case", ["h264_bframes"], indirect=True)
def test_a_reader_used_in_the_parent_is_safe_in_forked_workers(io_case: IoCase) -> None:
    reader = open_video(io_case.path, metadata=io_case.metadata)
    reader.get_frames([33])  # the parent holds an open decoder when the workers fork
    loader = DataLoader(_ClipDataset(reader), batch_size=2, num_workers=2, multiprocessing_context="fork")
    batches = torch.cat(list(loader))
    assert _barcodes(batches.reshape(-1, 3, 32, 48)) == [v for i in range(8) for v in (i * 10 + 1, i * 10)]
    assert _barcodes(reader.get_frames([34])) == [34]  # the parent's decoder is unharmed
    reader.close()


@pytest.mark.cuda
@pytest.mark.parametrize("io_case", ["h264_bframes", "h264_long_gop", "mpeg4_xvid_avi"], indirect=True)
def test_cuda_decoding_returns_exact_frames_on_the_gpu(io_case: IoCase) -> None:
    request = [70, 3, 3, 44, 89, 25]
    with open_video(io_case.path, device="cuda", metadata=io_case.metadata) as reader:
        frames = reader.get_frames(request, size=(48, 64))
        full = reader.get_frames(request)
    assert frames.device.type == "cuda" and frames.shape == (len(request), 3, 48, 64)
    assert _barcodes(frames) == _barcodes(full) == [io_case.oracle.barcodes[i] for i in request]


@pytest.mark.parametrize("io_case", ["h264_long_gop"], indirect=True)
def test_far_non_reference_frames_are_not_decoded(io_case: IoCase) -> None:
    """Seeking decoders drop B-frames far before the wanted frame (nothing references them)."""
    target = 240
    keyframe = io_case.metadata.frame_table.keyframe_at_or_before(target)  # frame 0: a 250-frame GOP
    with open_video(io_case.path, backend="pyav", metadata=io_case.metadata) as reader:
        assert _barcodes(reader.get_frames([target])) == [target]
        assert reader.stats.frames_decoded < (target - keyframe + 1) * 0.8


@pytest.mark.parametrize("io_case", ["h264_bframes", "h264_long_gop", "mpeg4_xvid_avi"], indirect=True)
def test_a_wanted_frame_dropped_as_far_is_decoded_again(io_case: IoCase,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """With no margin, wanted B-frames are dropped while skipping; the reader notices and decodes them."""
    monkeypatch.setattr(backend_pyav, "_SKIP_MARGIN", -1)
    request = list(range(3, io_case.metadata.num_frames, 7))
    with open_video(io_case.path, backend="pyav", metadata=io_case.metadata) as reader:
        assert _barcodes(reader.get_frames(request)) == request
        assert not reader.decodes_linearly


@pytest.mark.parametrize("io_case", ["h264_long_gop"], indirect=True)
def test_linear_decoding_also_drops_far_non_reference_frames(io_case: IoCase) -> None:
    """A file whose seeking is not trusted (like cockatoo.mp4) but whose frames carry their own pts."""
    metadata = io_case.metadata
    untrusted = replace(metadata, frame_table=replace(metadata.frame_table, seek_exact_backends=()))
    with open_video(io_case.path, metadata=untrusted) as reader:
        assert reader.decodes_linearly
        assert _barcodes(reader.get_frames([240, 120])) == [240, 120]
        assert reader.stats.seeks == 0 and reader.stats.restarts == 1
        assert reader.stats.frames_decoded < 241 * 0.8
