"""Motion classes: each label is true, partners are time-reversed, the arrow of time points one way."""

from __future__ import annotations

import re

import numpy as np
import pytest

from temporal_ssl.synthetic.motions import (
    MAX_CLASSES,
    MOTION_CLASSES,
    MotionClass,
    Pose,
    class_names,
    drift_pose,
    principal_pose,
    progress,
    twin_pose,
)

SIZE = {"num_frames": 24, "height": 48, "width": 64}
BY_NAME = {c.name: c for c in MOTION_CLASSES}


def _pose(motion: MotionClass, seed: int, start_speed_fraction: float = 0.25) -> Pose:
    return principal_pose(motion, np.random.default_rng(seed), base_radius=6.0,
                          start_speed_fraction=start_speed_fraction, **SIZE)


def _class_coordinate(motion: MotionClass, pose: Pose) -> np.ndarray:
    """The quantity the class moves, unwrapped so that it grows for sign +1 classes."""
    if motion.kind == "translate":
        return pose.centre[:, 0 if motion.axis == "x" else 1]
    if motion.kind == "rotate":
        return pose.angle
    if motion.kind == "scale":
        return np.log(pose.radius)
    assert pose.pivot is not None
    offset = pose.centre - pose.pivot
    if motion.kind == "orbit":
        return np.unwrap(np.arctan2(offset[:, 1], offset[:, 0]))  # grows clockwise on screen (y down)
    return np.log(np.linalg.norm(offset, axis=1))


def test_class_names_are_whole_reversed_pairs() -> None:
    assert MAX_CLASSES >= 10
    for index, motion in enumerate(MOTION_CLASSES):
        partner = MOTION_CLASSES[index ^ 1]
        assert motion.partner == partner.name and partner.partner == motion.name
        assert motion.kind == partner.kind and motion.sign == -partner.sign and motion.axis == partner.axis
        assert re.fullmatch(r"[A-Z][A-Za-z]+", motion.name)
    assert class_names(4) == ("MoveLeft", "MoveRight", "MoveUp", "MoveDown")
    with pytest.raises(ValueError, match="choose an even number from 2 to"):
        class_names(5)
    with pytest.raises(ValueError, match="num_classes = 14 is not possible"):
        class_names(MAX_CLASSES + 2)


@pytest.mark.parametrize("fraction", [0.0, 0.25, 0.6])
def test_progress_profiles(fraction: float) -> None:
    accelerating = progress(16, "accelerating", fraction)
    decelerating = progress(16, "decelerating", fraction)
    constant = progress(16, "constant", fraction)
    for covered in (accelerating, decelerating, constant):
        assert covered[0] == 0.0 and covered[-1] == pytest.approx(1.0)
    steps = np.diff(accelerating)
    assert np.all(np.diff(steps) > 0)  # speeds up every frame
    assert steps[0] / steps[-1] == pytest.approx((fraction + (1 - fraction) * 0.5 / 15)
                                                 / (fraction + (1 - fraction) * 14.5 / 15))
    np.testing.assert_allclose(np.diff(decelerating), steps[::-1])  # the same motion played backwards
    np.testing.assert_allclose(np.diff(constant), 1 / 15)


@pytest.mark.parametrize("motion", MOTION_CLASSES, ids=lambda m: m.name)
def test_principal_moves_as_its_label_says_and_accelerates(motion: MotionClass) -> None:
    for seed in range(20):
        coordinate = _class_coordinate(motion, _pose(motion, seed))
        steps = np.diff(coordinate) * motion.sign
        assert np.all(steps > 0), f"{motion.name} seed {seed} does not move the labelled way"
        if motion.kind == "orbit":  # an orbit keeps its radius
            radii = np.linalg.norm(_pose(motion, seed).centre - _pose(motion, seed).pivot, axis=1)
            np.testing.assert_allclose(radii, radii[0])
        # Constant acceleration: every step longer than the one before (log-size and spiral radius
        # compound, which keeps them monotone too).
        assert np.all(np.diff(steps) > -1e-9), f"{motion.name} seed {seed} is not accelerating"
        assert steps[-1] > 2 * steps[0]


@pytest.mark.parametrize("motion", MOTION_CLASSES[::2], ids=lambda m: m.name)
def test_reversed_class_moves_like_its_partner_but_decelerates(motion: MotionClass) -> None:
    partner = BY_NAME[motion.partner]
    reversed_steps = np.diff(_class_coordinate(motion, _pose(motion, 1))[::-1]) * partner.sign
    partner_steps = np.diff(_class_coordinate(partner, _pose(partner, 1))) * partner.sign
    assert np.all(reversed_steps > 0) and np.all(partner_steps > 0)  # same direction ...
    assert reversed_steps[0] > reversed_steps[-1]  # ... but slowing down, which no class does
    assert partner_steps[0] < partner_steps[-1]


@pytest.mark.parametrize("motion", [BY_NAME["MoveLeft"], BY_NAME["MoveUp"], BY_NAME["Grow"]],
                         ids=lambda m: m.name)
def test_single_frame_cannot_tell_a_class_from_its_partner(motion: MotionClass) -> None:
    """The class coordinate at a uniformly drawn frame has the same distribution for both classes."""
    partner = BY_NAME[motion.partner]
    rng = np.random.default_rng(0)
    samples = {}
    for m in (motion, partner):
        values = [_class_coordinate(m, _pose(m, seed, start_speed_fraction=0.0)) for seed in range(3000)]
        samples[m.name] = np.array([v[rng.integers(len(v))] for v in values])
    a, b = samples[motion.name], samples[partner.name]
    # Placing the start uniformly instead (the obvious design) gives a KS distance of about 0.22 and means
    # 0.57 standard deviations apart for translations from rest; two samples of one law stay below ~0.05.
    assert abs(a.mean() - b.mean()) < 0.05 * np.std(np.concatenate([a, b]))
    assert _kolmogorov_smirnov(a, b) < 0.06


def _kolmogorov_smirnov(a: np.ndarray, b: np.ndarray) -> float:
    grid = np.sort(np.concatenate([a, b]))
    cdf_a = np.searchsorted(np.sort(a), grid, side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), grid, side="right") / len(b)
    return float(np.abs(cdf_a - cdf_b).max())


def test_poses_stay_in_frame() -> None:
    for motion in MOTION_CLASSES:
        for seed in range(30):
            centre = _pose(motion, seed).centre
            assert centre.min() >= 0
            assert centre[:, 0].max() <= SIZE["width"] and centre[:, 1].max() <= SIZE["height"]


def _step_sizes(kind: str, pose: Pose) -> np.ndarray:
    """How far the state moves each frame, whatever the sense: ``[T - 1]``."""
    if kind == "rotate":
        return np.abs(np.diff(pose.angle))
    if kind == "scale":
        return np.abs(np.diff(np.log(pose.radius)))
    return np.linalg.norm(np.diff(pose.centre, axis=0), axis=1)


@pytest.mark.parametrize("motion", MOTION_CLASSES[::2], ids=lambda m: m.name)
def test_twin_mirrors_the_principal_motion_backwards(motion: MotionClass) -> None:
    """The twin does the same kind of motion, slowing down, with the principal's step sizes reversed."""
    siblings = [c for c in MOTION_CLASSES if c.kind == motion.kind]
    twin_steps, principal_steps = [], []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        twin = twin_pose(motion, rng, base_radius=6.0, start_speed_fraction=0.25, **SIZE)
        steps = _step_sizes(motion.kind, twin)
        if motion.kind != "spiral":  # a spiral's speed also follows its changing radius
            assert steps[0] > steps[-1], "the twin must slow down"
        twin_steps.append(steps[::-1])
        sibling = siblings[seed % len(siblings)]
        principal_steps.append(_step_sizes(motion.kind, _pose(sibling, 1000 + seed)))
    # Played backwards, the twin moves like a principal of the same kind, frame by frame.
    np.testing.assert_allclose(np.mean(twin_steps, axis=0), np.mean(principal_steps, axis=0), rtol=0.1)


def test_drifting_distractors_move_at_constant_speed() -> None:
    for seed in range(20):
        pose = drift_pose(np.random.default_rng(seed), base_radius=5.0, **SIZE)
        drift = np.linalg.norm(np.diff(pose.centre, axis=0), axis=1)
        np.testing.assert_allclose(drift, drift[0])
        assert pose.centre.min() >= 0 and pose.centre[:, 0].max() <= SIZE["width"]
        assert pose.centre[:, 1].max() <= SIZE["height"]
