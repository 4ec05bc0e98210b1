"""Scene sampling: the principal is marked by colour only, objects contrast with the background."""

from __future__ import annotations

import numpy as np

from temporal_ssl.synthetic.motions import MOTION_CLASSES
from temporal_ssl.synthetic.scene import (
    MIN_OBJECT_CONTRAST,
    Appearance,
    SceneOptions,
    sample_appearance,
    sample_scene,
)

LUMA = np.array([0.299, 0.587, 0.114])


def _appearances(count: int, options: SceneOptions | None = None) -> list[Appearance]:
    options = options or SceneOptions()
    return [sample_appearance(np.random.default_rng(seed), height=32, width=32, num_cameras=1,
                              options=options) for seed in range(count)]


def test_principal_is_vivid_distractors_grey_with_the_same_brightness_law() -> None:
    principal_luma, distractor_luma = [], []
    for appearance in _appearances(600):
        background = appearance.background.base @ LUMA
        for index, shape in enumerate(appearance.shapes):
            luma = shape.colour @ LUMA
            chroma = np.abs(shape.colour - luma).max()
            assert abs(luma - background) >= MIN_OBJECT_CONTRAST - 1e-6
            assert np.all(shape.colour >= 0) and np.all(shape.colour <= 255)
            if index == 0:
                principal_luma.append(luma)
                assert chroma > 25 or min(luma, 255 - luma) < 40  # only near black or white is colour scarce
            else:
                distractor_luma.append(luma)
                assert chroma <= 10 + 1e-6
            assert np.abs(shape.spot_colour - shape.spot_colour @ LUMA).max() <= 10 + 1e-6
    # Brightness cannot single out the principal: same law for every object.
    quantiles = np.linspace(0.1, 0.9, 9)
    np.testing.assert_allclose(np.quantile(principal_luma, quantiles),
                               np.quantile(distractor_luma, quantiles), atol=12)


def test_distractor_count_follows_the_options() -> None:
    counts = {a.num_distractors for a in _appearances(60, SceneOptions(num_distractors=(1, 3)))}
    assert counts == {1, 2, 3}


def test_scene_objects_and_roles() -> None:
    options = SceneOptions(num_distractors=(2, 2), max_camera_offset_frames=3)
    rng = np.random.default_rng(0)
    appearance = sample_appearance(rng, height=32, width=40, num_cameras=2, options=options)
    scene = sample_scene(rng, appearance, MOTION_CLASSES[4], height=32, width=40, num_frames=10,
                         options=options)
    assert scene.class_name == "RotateClockwise"
    assert sorted(o.object_id for o in scene.objects) == [0, 1, 2]
    assert [o.role for o in sorted(scene.objects, key=lambda o: o.object_id)] == ["principal", "distractor",
                                                                                  "distractor"]
    # The poses cover the longest camera window: frames 0 .. 10 + the largest start offset.
    longest = 10 + max(c.offset_frames for c in scene.cameras)
    assert all(o.pose.num_frames == longest for o in scene.objects)
    assert min(c.offset_frames for c in scene.cameras) == 0
