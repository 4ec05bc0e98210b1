"""The decoding benchmark's sampling patterns, and one tiny end-to-end run of it (numbers are not checked)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.decode_patterns import PATTERNS
from benchmarks.decode_runner import run_decode_benchmark
from temporal_ssl.io import available_backends


@pytest.mark.parametrize("num_frames", [300, 40, 1])
def test_patterns_have_the_documented_shape(num_frames: int) -> None:
    rng = np.random.default_rng(0)
    clips = {name: make(num_frames, rng) for name, make in PATTERNS.items()}
    for name, pattern in clips.items():
        assert all(0 <= i < num_frames for clip in pattern for i in clip), name
    if num_frames < 100:
        return
    (clip,) = clips["a_single_clip"]
    assert len(clip) == 16 and np.all(np.diff(clip) == 2)
    vcop = clips["b_vcop"]
    assert [len(c) for c in vcop] == [16, 16, 16]
    assert [b[0] - a[-1] - 1 for a, b in zip(vcop, vcop[1:], strict=False)] == [8, 8]
    assert len(clips["c_scattered"]) == 5 and all(len(c) == 1 for c in clips["c_scattered"])
    independent = clips["d_independent_clips"]
    assert len(independent) == 4 and all(len(c) == 8 and np.all(np.diff(c) == 8) for c in independent)
    assert clips["e_full_video"] == [list(range(num_frames))]


def test_benchmark_runs_every_reader_on_the_same_clips(bframes_video: Path) -> None:
    result = run_decode_benchmark([bframes_video], repeats=1, samples_per_video=1, size=(32, 32),
                                  patterns=["b_vcop"])
    readers = {m.reader for m in result.measurements}
    assert readers == ({"temporal_ssl auto"} | {f"temporal_ssl {b}" for b in available_backends()}
                       | {f"raw {b}" for b in available_backends()})
    assert all(m.clips_per_second > 0 and m.frames_per_second == 16 * m.clips_per_second
               for m in result.measurements)
    ratio = result.ratio("b_vcop")
    assert ratio is not None and ratio[1].startswith("raw ")
    table = result.markdown()
    assert "| b_vcop |" in table and "auto / best raw" in table and "h264_bframes.mp4" in table
    assert "per file" in table and result.ratio("b_vcop", [str(bframes_video)]) is not None
