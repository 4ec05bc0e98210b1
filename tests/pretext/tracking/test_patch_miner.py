"""Moving-patch mining: frame rejection, camera-motion check, box placement (tracking/patch_miner.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from temporal_ssl.errors import ConfigError
from temporal_ssl.pretext.motion import grey_frames
from temporal_ssl.pretext.tracking.patch_miner import (
    MinerOptions,
    box_sums,
    camera_shifts,
    global_translation,
    mine_frame,
    place_boxes,
)

from .moving_objects import iou, render

SEEDS = range(4)


def _query(video_frames: np.ndarray, t: int = 4, gap: int = 2) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    grey = grey_frames(video_frames)
    return grey[t - gap], grey[t], grey[t + gap]


def test_box_sums_match_brute_force() -> None:
    values = np.random.default_rng(0).uniform(0, 5, size=(9, 13))
    sums = box_sums(values, 3, 4)
    assert sums.shape == (7, 10)
    for y in range(7):
        for x in range(10):
            assert sums[y, x] == pytest.approx(values[y:y + 3, x:x + 4].sum())


def test_place_boxes_centres_on_the_mass_and_never_overlaps() -> None:
    mass = np.zeros((40, 60))
    mass[5:9, 10:14] = 1.0  # 16 units around centre (12, 7)
    mass[30:34, 44:48] = 0.5  # 8 units around centre (46, 32)
    boxes, shares = place_boxes(mass, 10, 3, 0.1)
    assert len(boxes) == 2  # nothing else holds 10% of the mass
    assert boxes[0] == (7.0, 2.0, 17.0, 12.0) and boxes[1] == (41.0, 27.0, 51.0, 37.0)
    assert shares == pytest.approx((16 / 24, 8 / 24))
    assert place_boxes(np.zeros((10, 10)), 4, 1, 0.0) == ((), ())


@pytest.mark.parametrize("seed", SEEDS)
def test_mined_box_overlaps_the_moving_object(seed: int) -> None:
    video = render(seed, num_frames=9, growth=0.0, size=30.0, noise_std=1.5)
    mined = mine_frame(*_query(video.frames), MinerOptions(box_size=0.25))
    assert mined.rejection is None
    assert iou(mined.boxes[0], video.boxes[4]) >= 0.6


@pytest.mark.parametrize("seed", SEEDS)
def test_two_boxes_find_object_and_distractor(seed: int) -> None:
    video = render(seed, num_frames=9, growth=0.0, size=30.0, noise_std=1.5)
    mined = mine_frame(*_query(video.frames), MinerOptions(box_size=0.25, num_boxes=3, min_box_share=0.15))
    assert len(mined.boxes) == 2
    assert iou(mined.boxes[0], video.boxes[4]) >= 0.6
    assert iou(mined.boxes[1], video.distractor_boxes[4]) >= 0.4  # a 30 px box around a 22 px distractor
    assert iou(mined.boxes[0], mined.boxes[1]) == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_static_frames_are_rejected_as_noise(seed: int) -> None:
    video = render(seed, num_frames=9, velocity=(0.0, 0.0), growth=0.0, distractor=False, noise_std=2.0)
    mined = mine_frame(*_query(video.frames), MinerOptions())
    assert mined.rejection == "too_little_motion" and mined.boxes == ()
    assert mined.moving_fraction < 0.02


@pytest.mark.parametrize("seed", SEEDS)
def test_whole_frame_shift_is_rejected_as_camera_motion(seed: int) -> None:
    video = render(seed, num_frames=9, camera_velocity=(2.0, 1.0), velocity=(-1.0, 2.0), growth=0.0,
                   distractor=False, noise_std=1.5)
    previous, current, following = _query(video.frames)
    # The background moves 4 px right-to-left and 2 px up over the 2-frame gap.
    assert camera_shifts(previous, current, following) == ((-2, -4), (2, 4))
    assert mine_frame(previous, current, following, MinerOptions()).rejection == "camera_motion"
    # Without the translation check the moving-fraction ceiling is what catches a pan.
    no_check = MinerOptions(global_motion_check=False, max_moving_fraction=0.3)
    assert mine_frame(previous, current, following, no_check).rejection == "camera_motion"
    # Compensating the pan finds the object moving against it.
    compensated = mine_frame(previous, current, following, MinerOptions(compensate_translation=True,
                                                                        box_size=0.25))
    assert compensated.rejection is None
    assert iou(compensated.boxes[0], video.boxes[4]) >= 0.6


@pytest.mark.parametrize("seed", SEEDS)
def test_global_translation_ignores_a_foreground_mover(seed: int) -> None:
    video = render(seed, num_frames=9, growth=0.0, size=36.0, velocity=(3.0, 2.0))
    grey = grey_frames(video.frames)
    assert global_translation(grey[0], grey[4]) == (0, 0)


def test_miner_options_are_validated_with_the_key_name() -> None:
    with pytest.raises(ConfigError, match=re.escape("'box_size' must be in (0, 1]")):
        MinerOptions(box_size=1.5)
    with pytest.raises(ConfigError, match="'min_moving_fraction' < 'max_moving_fraction'"):
        MinerOptions(min_moving_fraction=0.8, max_moving_fraction=0.5)
    with pytest.raises(ConfigError, match="needs 'global_motion_check: true'"):
        MinerOptions(compensate_translation=True, global_motion_check=False)
