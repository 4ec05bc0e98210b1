"""Every installed backend returns the sequential decode's frames, for every matrix video and pattern."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from temporal_ssl.io import available_backends, open_video
from tests.helpers.io_matrix import CASES, IoCase
from tests.helpers.video_factory import read_barcode

BACKENDS = available_backends()


def _patterns(num_frames: int, keyframes: list[int], seed: int) -> dict[str, list[int]]:
    """Index sets a training pipeline asks for, drawn with a fixed seed."""
    rng = np.random.default_rng(seed)
    last = num_frames - 1
    count = min(12, num_frames)
    sorted_random = sorted(rng.choice(num_frames, size=count, replace=False).tolist())
    across = sorted({i for k in keyframes[1:] for i in (k - 1, k, k + 1) if 0 <= i < num_frames})
    return {
        "sorted": sorted_random,
        "shuffled": rng.permutation(sorted_random).tolist(),
        "repeated": [sorted_random[0], sorted_random[-1], sorted_random[0], sorted_random[0], last],
        "last_frame": [last],
        "backwards": list(range(last, -1, -max(1, num_frames // 7))),
        "across_gops": across or [0, last],
        "clip_stride_2": list(range(rng.integers(0, max(1, num_frames - 31)), num_frames, 2))[:16],
    }


def _barcodes(frames: torch.Tensor) -> list[int]:
    return [read_barcode(frame.cpu().numpy()) for frame in frames]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("io_case", CASES, indirect=True)
def test_every_backend_returns_the_sequential_decode_frames(io_case: IoCase, backend: str) -> None:
    oracle, metadata = io_case.oracle, io_case.metadata
    assert metadata.num_frames == oracle.num_frames
    with open_video(io_case.path, backend=backend, metadata=metadata) as reader:
        for name, indices in _patterns(oracle.num_frames, oracle.keyframes, seed=len(io_case.name)).items():
            frames = reader.get_frames(indices)
            assert frames.dtype == torch.uint8 and frames.shape[:2] == (len(indices), 3), name
            assert frames.shape[2:] == (metadata.height, metadata.width), name
            assert _barcodes(frames) == [oracle.barcodes[i] for i in indices], f"{name}: {indices}"
            if reader.backend == "pyav":  # the same FFmpeg build as the oracle: pixels identical
                expected = np.stack([oracle.frames[i] for i in indices])
                assert np.array_equal(frames.permute(0, 2, 3, 1).numpy(), expected), name


@pytest.mark.parametrize("io_case", CASES, indirect=True)
def test_backends_not_verified_really_fail_when_trusted(io_case: IoCase) -> None:
    """The seek check only rejects a backend on evidence: trusting a rejected backend gives a wrong frame."""
    from temporal_ssl.io.select import DecoderChoice, build_decoder

    metadata, oracle = io_case.metadata, io_case.oracle
    for backend in BACKENDS:
        if backend in metadata.frame_table.seek_exact_backends:
            continue
        decoder = build_decoder(metadata, DecoderChoice(backend, True))
        if backend == "pyav" and not metadata.frame_table.pts_from_decoder:
            # Without the decoder's own pts PyAV cannot recognise frames after a seek, so it never seeks.
            assert not decoder.can_seek  # type: ignore[attr-defined]
            continue
        wrong = False
        for index in range(oracle.num_frames - 1, -1, -1):  # descending: every request seeks
            try:
                frame = decoder.decode_sorted([index], None)[0]
            except Exception:  # an error also proves the backend cannot be trusted here
                wrong = True
                break
            if read_barcode(frame.numpy()) != oracle.barcodes[index]:
                wrong = True
                break
        decoder.close()
        assert wrong, f"{backend} was rejected on {io_case.name} but returns every frame correctly"


@pytest.mark.parametrize("size", [(40, 52), (24, 48)])  # decord's own scaler fails at width 48
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("io_case", ["h264_bframes", "mpeg4_xvid_avi", "h264_rotated_90"], indirect=True)
def test_resized_frames_match_the_resized_oracle(io_case: IoCase, backend: str,
                                                size: tuple[int, int]) -> None:
    indices = [0, 5, 30, 29, io_case.oracle.num_frames - 1]
    with open_video(io_case.path, backend=backend, metadata=io_case.metadata) as reader:
        frames = reader.get_frames(indices, size=size)
    assert frames.shape == (len(indices), 3, *size)
    full = torch.from_numpy(np.stack([io_case.oracle.frames[i] for i in indices])).permute(0, 3, 1, 2).float()
    expected = F.interpolate(full, size=size, mode="bilinear", antialias=True)
    # Backends resize with different filters (area, bicubic, bilinear); a wrong frame differs by ~100.
    assert (frames.float() - expected).abs().mean() < 8
    assert _barcodes(frames) == [io_case.oracle.barcodes[i] for i in indices]


@pytest.mark.parametrize("io_case", ["h264_rotated_90"], indirect=True)
def test_rotated_video_is_returned_upright(io_case: IoCase) -> None:
    metadata = io_case.metadata
    assert metadata.rotation == 90
    assert (metadata.height, metadata.width) == (96, 64)  # stored 96 wide, 64 high
    for backend in BACKENDS:
        with open_video(io_case.path, backend=backend, metadata=metadata) as reader:
            frames = reader.get_frames([3, 17], size=(48, 32))
        assert frames.shape == (2, 3, 48, 32), backend
        assert _barcodes(frames) == [3, 17], backend
