"""The time-shortcut detector: exact statistics, chance on the corpus, caught leaks on leaky variants."""

from __future__ import annotations

import re
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from temporal_ssl.synthetic.corpus import CorpusOptions, generate_corpus
from temporal_ssl.synthetic.layout import CorpusPaths
from temporal_ssl.synthetic.shortcut_check import (
    check_time_shortcuts,
    check_video_time_shortcuts,
    frame_statistics,
)

NUM_VIDEOS = 300


@pytest.fixture(scope="session")
def pool(tmp_path_factory: pytest.TempPathFactory) -> CorpusPaths:
    options = CorpusOptions(num_pretrain_scenes=NUM_VIDEOS, num_train_per_class=0, num_test_per_class=0,
                            num_frames=16, size=(32, 32), seed=3)
    return generate_corpus(tmp_path_factory.mktemp("shortcut") / "corpus", options, workers=1, progress=False)


@pytest.fixture(scope="session")
def pool_clips(pool: CorpusPaths) -> list[np.ndarray]:
    return [_decode(p) for p in pool.pretrain_videos()]


def _decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def _encode_lossy(path: Path, frames: np.ndarray) -> Path:
    """x264 with rate control and one keyframe: the everyday encoding that leaks the direction of time."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        stream.options = {"crf": "23"}
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    return path


def test_frame_statistics_match_hand_computed_values() -> None:
    frames = np.full((3, 9, 10, 3), 100, dtype=np.uint8)
    frames[1] += 5
    frames[2, 0, :] = 200  # a bright top row on the last frame: the border brightens
    per_frame, motion = frame_statistics(frames)
    np.testing.assert_allclose(per_frame[:2, 0], [100, 105])
    np.testing.assert_allclose(per_frame[:2, 1:], 0, atol=1e-9)  # flat frames: no contrast, sharpness, border
    ring = np.ones((9, 10), dtype=bool)
    ring[2:-2, 2:-2] = False
    luma = frames[2, ..., 0].astype(float)
    np.testing.assert_allclose(per_frame[2, 3], luma[ring].mean() - luma.mean(), rtol=1e-5)
    assert per_frame[2, 2] > 0  # the edge of the bright row is sharp
    np.testing.assert_allclose(motion, [5, np.abs(luma - 105).mean()], rtol=1e-5)


def test_frame_statistics_accept_reader_tensors_and_reverse_exactly() -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(5, 12, 14, 3), dtype=np.uint8)
    per_frame, motion = frame_statistics(frames)
    from_tensor = frame_statistics(torch.from_numpy(frames).permute(0, 3, 1, 2))  # reader layout [T, C, H, W]
    np.testing.assert_allclose(from_tensor[0], per_frame, rtol=1e-6)
    reversed_frame, reversed_motion = frame_statistics(frames[::-1])
    np.testing.assert_allclose(reversed_frame, per_frame[::-1], rtol=1e-6)
    np.testing.assert_allclose(reversed_motion, motion[::-1], rtol=1e-6)


def test_written_corpus_shows_no_time_shortcut(pool: CorpusPaths) -> None:
    report = check_video_time_shortcuts(pool.pretrain_videos(), clip_frames=16, progress=False)
    assert report.num_train_clips + report.num_test_clips == NUM_VIDEOS and not report.skipped
    assert not report.leaks, report.summary()
    assert 0.4 < report.accuracy < 0.6, report.summary()


def test_a_brightness_ramp_is_caught(pool_clips: list[np.ndarray]) -> None:
    ramp = np.linspace(-3.0, 3.0, 16)[:, None, None, None]
    clips = [np.clip(c + ramp, 0, 255).astype(np.uint8) for c in pool_clips]
    report = check_time_shortcuts(clips)
    assert report.leaks and report.accuracy > 0.95, report.summary()
    assert report.statistic_accuracy["brightness"] > 0.95
    assert "LEAKS the direction of time" in report.summary()


def test_a_lossy_codec_is_caught(pool_clips: list[np.ndarray], tmp_path: Path) -> None:
    lossy = [_encode_lossy(tmp_path / f"{i}.mp4", clip) for i, clip in enumerate(pool_clips)]
    report = check_video_time_shortcuts(lossy, clip_frames=16, progress=False)
    assert report.leaks and report.accuracy > 0.75, report.summary()


def test_bad_videos_are_skipped_and_listed(pool: CorpusPaths, tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")
    videos = [*pool.pretrain_videos()[:20], broken]
    report = check_video_time_shortcuts(videos, clip_frames=16, progress=False)
    assert report.skipped == (str(broken),)
    assert report.num_train_clips + report.num_test_clips == 20


def test_unusable_input_is_refused() -> None:
    clips = [np.zeros((8, 16, 16, 3), np.uint8)] * 3 + [np.zeros((6, 16, 16, 3), np.uint8)]
    with pytest.raises(ValueError, match=re.escape("all clips must have the same number of frames, got "
                                                   "lengths [6, 8]")):
        check_time_shortcuts(clips)
    with pytest.raises(ValueError, match="need at least 4 clips"):
        check_time_shortcuts(clips[:3])
