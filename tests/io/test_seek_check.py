"""The seek check: which frames it checks, and that it accepts exactly the decoders that return them."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import av
import numpy as np
import pytest
import torch

from temporal_ssl.io.decoder import DecodeStats
from temporal_ssl.io.seek_check import CheckFrameCollector, CheckFrames, verify_seeking
from tests.helpers.io_matrix import IoCase


def _collect(io_case: IoCase) -> CheckFrames:
    """Run the collector over a plain sequential decode, as the probe does."""
    with av.open(str(io_case.path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        collector = CheckFrameCollector(0, stream.frames or None)
        count = 0
        for index, frame in enumerate(container.decode(stream)):
            collector.add(index, frame, frame.key_frame)
            count += 1
    return collector.finish(count)


class _StubDecoder:
    """Serves frames from the oracle through ``pick(index) -> frame index actually returned``."""

    name = "stub"

    def __init__(self, frames: dict[int, np.ndarray], pick: Callable[[int], int]) -> None:
        self.frames, self.pick, self.stats, self.requests = frames, pick, DecodeStats(), []

    def decode_sorted(self, indices: Sequence[int], size: tuple[int, int] | None) -> torch.Tensor:
        self.requests.append(list(indices))
        return torch.from_numpy(np.stack([self.frames[self.pick(i)] for i in indices]))

    def close(self) -> None:
        pass


@pytest.mark.parametrize("io_case", ["h264_long_gop"], indirect=True)
def test_check_frames_cover_keyframes_their_successors_the_middle_and_the_end(io_case: IoCase) -> None:
    checks = _collect(io_case)  # 300 frames, keyframes at 0 and 250
    assert {0, 250, 251, 150, 299} <= set(checks.frame_indices)
    for index in checks.frame_indices:  # each check frame has its neighbours' references
        assert {index - 1, index, index + 1} & set(range(300)) <= set(checks.references)


@pytest.mark.parametrize("io_case", ["mjpeg_avi"], indirect=True)
def test_all_intra_files_keep_few_references_spread_over_the_file(io_case: IoCase) -> None:
    checks = _collect(io_case)  # 30 frames, every one a keyframe
    keyframes = [i for i in checks.frame_indices if 0 < i < 29]
    assert len(checks.references) <= 30
    assert min(keyframes) < 10 and max(keyframes) > 20


@pytest.mark.parametrize("io_case", ["h264_bframes"], indirect=True)
def test_verify_accepts_right_frames_and_rejects_shifted_or_garbage_frames(io_case: IoCase) -> None:
    checks = _collect(io_case)
    frames = io_case.oracle.frames
    keyframes = set(io_case.oracle.keyframes)
    noise = np.random.default_rng(0).integers(0, 256, size=frames[0].shape, dtype=np.uint8)
    frames_with_noise = {**frames, -1: noise}
    made: list[_StubDecoder] = []

    def make_honest() -> _StubDecoder:
        made.append(_StubDecoder(frames, lambda i: i))
        return made[-1]

    assert verify_seeking("stub", make_honest, checks, str(io_case.path), io_case.oracle.keyframes)
    asked = [request for decoder in made for request in decoder.requests]
    assert sorted(r[0] for r in asked) == list(checks.frame_indices)  # every check frame, once
    for decoder in made:  # one frame per request, descending per decoder: every request must seek
        starts = [r[0] for r in decoder.requests]
        assert all(len(r) == 1 for r in decoder.requests) and starts == sorted(starts, reverse=True)
    one_early = _StubDecoder(frames, lambda i: i if i in keyframes else i - 1)  # torchcodec on Megamind
    assert not verify_seeking("stub", lambda: one_early, checks, str(io_case.path))
    garbage = _StubDecoder(frames_with_noise, lambda i: -1 if i > 30 else i)  # cockatoo after a seek
    assert not verify_seeking("stub", lambda: garbage, checks, str(io_case.path))

    def broken() -> _StubDecoder:
        raise RuntimeError("cannot open")

    assert not verify_seeking("stub", broken, checks, str(io_case.path))
