"""Motion energy and motion-weighted window choice (temporal_ssl.pretext.motion)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from temporal_ssl.pretext.motion import (
    frame_difference_energy,
    grey_frames,
    motion_profile,
    motion_weighted_starts,
    window_motion_scores,
)


def _square_video(positions: list[int], *, size: int = 8, height: int = 32, width: int = 48) -> np.ndarray:
    """uint8 [T, 3, H, W]: a white square on black whose left edge is at ``positions[t]`` (row 10)."""
    frames = np.zeros((len(positions), 3, height, width), dtype=np.uint8)
    for t, x in enumerate(positions):
        frames[t, :, 10:10 + size, x:x + size] = 255
    return frames


def test_grey_frames_uses_bt601_luma_on_numpy_and_torch() -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 256, size=(2, 3, 5, 7), dtype=np.uint8)
    expected = 0.299 * frames[:, 0] + 0.587 * frames[:, 1] + 0.114 * frames[:, 2]
    np.testing.assert_allclose(grey_frames(frames), expected, atol=1e-3)
    np.testing.assert_allclose(grey_frames(torch.from_numpy(frames)), expected, atol=1e-3)
    single = frames[:, :1]
    np.testing.assert_array_equal(grey_frames(single), single[:, 0].astype(np.float32))


def test_frame_difference_energy_is_concentrated_where_the_square_moved() -> None:
    positions = [4, 7, 10, 13]
    energy = frame_difference_energy(_square_video(positions))
    assert energy.shape == (3, 32, 48) and energy.dtype == np.float32
    for t in range(3):
        inside = np.zeros((32, 48), dtype=bool)
        inside[10:18, positions[t]:positions[t] + 8] = True
        inside[10:18, positions[t + 1]:positions[t + 1] + 8] = True
        assert energy[t][~inside].max() == 0.0
        # The columns the square left and entered changed by the full 255; the overlap did not change.
        left_columns = slice(positions[t], positions[t + 1])
        entered_columns = slice(positions[t] + 8, positions[t + 1] + 8)
        assert np.allclose(energy[t, 10:18, left_columns], 255.0, atol=0.1)
        assert np.allclose(energy[t, 10:18, entered_columns], 255.0, atol=0.1)
        assert energy[t, 10:18, positions[t + 1]:positions[t] + 8].max() == 0.0


def test_frame_difference_energy_needs_two_frames() -> None:
    with pytest.raises(ValueError, match="at least 2 frames"):
        frame_difference_energy(np.zeros((1, 3, 4, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"\[T, C, H, W\]"):
        frame_difference_energy(np.zeros((2, 4, 4), dtype=np.uint8))


def test_motion_profile_follows_the_probe_convention() -> None:
    frames = _square_video([0, 0, 5, 5, 9])
    profile = motion_profile(frames)
    energy = frame_difference_energy(frames)
    assert profile[0] == 0.0
    np.testing.assert_allclose(profile[1:], energy.mean(axis=(1, 2)), rtol=1e-6)
    assert profile[1] == 0.0 and profile[3] == 0.0 and profile[2] > 0 and profile[4] > 0


def test_window_motion_scores_match_a_loop() -> None:
    rng = np.random.default_rng(1)
    profile = rng.uniform(0, 10, size=40)
    for window_len in (1, 2, 7, 40):
        scores = window_motion_scores(profile, window_len)
        assert scores.shape == (40 - window_len + 1,)
        for start in range(len(scores)):
            inside = profile[start + 1:start + window_len]
            expected = inside.mean() if window_len > 1 else 0.0
            assert scores[start] == pytest.approx(expected)


def _overlaps_motion(starts: np.ndarray, window_len: int, moving: range) -> np.ndarray:
    # A window [s, s + L) sees motion when one of its inner differences s+1 .. s+L-1 is in ``moving``.
    return (starts + window_len - 1 >= moving.start) & (starts + 1 < moving.stop)


def test_motion_weighted_starts_favour_the_moving_segment() -> None:
    length, window_len, moving = 200, 16, range(120, 150)
    profile = np.full(length, 0.5)  # codec noise everywhere
    profile[moving.start:moving.stop] = 12.0
    starts_all = np.arange(length - window_len + 1)
    uniform_share = _overlaps_motion(starts_all, window_len, moving).mean()
    rng = np.random.default_rng(7)
    soft = motion_weighted_starts(profile, window_len, 4000, rng, temperature=0.5)
    hard = motion_weighted_starts(profile, window_len, 4000, rng, min_percentile=80.0)
    plain = motion_weighted_starts(profile, window_len, 4000, rng)
    assert soft.min() >= 0 and soft.max() <= length - window_len
    soft_share = _overlaps_motion(soft, window_len, moving).mean()
    # Binomial std of a share over 4000 draws is < 0.008: these margins are > 20 standard deviations.
    assert uniform_share < 0.3
    assert soft_share > uniform_share + 0.5
    assert _overlaps_motion(hard, window_len, moving).all()
    assert abs(_overlaps_motion(plain, window_len, moving).mean() - uniform_share) < 0.04


def test_motion_weighted_starts_are_uniform_without_information() -> None:
    rng = np.random.default_rng(3)
    for profile in (None, np.full(50, 4.0)):
        starts = motion_weighted_starts(profile, 10, 8200, rng, num_frames=50, min_percentile=90.0,
                                        temperature=0.1)
        counts = np.bincount(starts, minlength=41)
        assert counts.shape == (41,)
        # 200 expected per start; a chi-square statistic this far above 40 dof would mean a bias.
        chi_square = ((counts - 200.0) ** 2 / 200.0).sum()
        assert chi_square < 90


def test_motion_weighted_starts_reject_bad_arguments() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="does not fit"):
        motion_weighted_starts(np.ones(5), 6, 1, rng)
    with pytest.raises(ValueError, match="needs num_frames"):
        motion_weighted_starts(None, 3, 1, rng)
    with pytest.raises(ValueError, match="has 5 values but the video has 6 frames"):
        motion_weighted_starts(np.ones(5), 3, 1, rng, num_frames=6)
    with pytest.raises(ValueError, match="temperature"):
        motion_weighted_starts(np.ones(5), 3, 1, rng, temperature=0.0)
