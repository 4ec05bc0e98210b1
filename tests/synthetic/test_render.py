"""Rendering: boxes bound what is drawn, cameras see one synchronised scene and never mirror it."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from temporal_ssl.synthetic.cameras import is_mirrored, project, sample_camera
from temporal_ssl.synthetic.motions import MOTION_CLASSES, MotionClass
from temporal_ssl.synthetic.render import outline, render_scene
from temporal_ssl.synthetic.scene import SceneOptions, SceneSpec, sample_appearance, sample_scene

HEIGHT, WIDTH, FRAMES = 40, 48, 12
BY_NAME = {c.name: c for c in MOTION_CLASSES}


def _scene(
    motion: MotionClass, seed: int, *, cameras: int = 3, offsets: int = 0, noise: float = 1.0
) -> SceneSpec:
    options = SceneOptions(max_camera_offset_frames=offsets, noise_std=(noise, noise))
    rng = np.random.default_rng(seed)
    appearance = sample_appearance(rng, height=HEIGHT, width=WIDTH, num_cameras=cameras, options=options)
    return sample_scene(rng, appearance, motion, height=HEIGHT, width=WIDTH, num_frames=FRAMES,
                        options=options)


def _drawn_pixels(scene: SceneSpec, object_id: int, camera: int) -> np.ndarray:
    """bool ``[T, H, W]``: pixels that change when the object is removed (noise off, so only the object)."""
    silent = tuple(dataclasses.replace(c, noise_std=0.0) for c in scene.cameras)
    quiet = dataclasses.replace(scene, cameras=silent)
    without = dataclasses.replace(quiet, objects=tuple(o for o in quiet.objects if o.object_id != object_id))
    full, empty = render_scene(quiet)[camera].frames, render_scene(without)[camera].frames
    return np.abs(full.astype(int) - empty.astype(int)).max(axis=-1) > 24


@pytest.mark.parametrize("motion", MOTION_CLASSES[::2], ids=lambda m: m.name)
def test_boxes_bound_the_drawn_object_in_every_camera(motion: MotionClass) -> None:
    scene = _scene(motion, seed=3)
    renders = render_scene(scene)
    for camera, render in enumerate(renders):
        for row, object_id in enumerate(render.object_ids):
            drawn = _drawn_pixels(scene, object_id, camera)
            for t in range(FRAMES):
                box = render.boxes[row, t]
                rows, cols = np.nonzero(drawn[t])
                if np.isnan(box[0]):
                    assert rows.size == 0
                    continue
                if rows.size == 0:
                    continue  # hidden behind another object
                # Every changed pixel lies in the box (pixel j covers [j, j+1); anti-aliasing adds one pixel).
                assert cols.min() >= np.floor(box[0]) - 1 and cols.max() + 1 <= np.ceil(box[2]) + 1
                assert rows.min() >= np.floor(box[1]) - 1 and rows.max() + 1 <= np.ceil(box[3]) + 1


def test_boxes_are_tight_around_an_unoccluded_object() -> None:
    scene = _scene(BY_NAME["MoveRight"], seed=5, cameras=1)
    principal = next(o for o in scene.objects if o.role == "principal")
    alone = dataclasses.replace(scene, objects=(principal,))
    render = render_scene(alone)[0]
    drawn = _drawn_pixels(alone, 0, 0)
    for t in range(FRAMES):
        rows, cols = np.nonzero(drawn[t])
        box = render.boxes[0, t]
        inside = box[0] > 1 and box[1] > 1 and box[2] < WIDTH - 1 and box[3] < HEIGHT - 1
        if inside:
            drawn_box = [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
            np.testing.assert_allclose(drawn_box, box, atol=1.5)


def test_cameras_see_the_same_scene_state_through_their_known_warp() -> None:
    scene = _scene(BY_NAME["OrbitClockwise"], seed=7, cameras=3, offsets=3)
    renders = render_scene(scene)
    assert len({c.offset_frames for c in scene.cameras}) > 1  # the cameras really start at different times
    for obj in scene.objects:
        for camera, render in zip(scene.cameras, renders, strict=True):
            frames = slice(camera.offset_frames, camera.offset_frames + FRAMES)
            world = outline(obj.shape, dataclasses.replace(obj.pose, centre=obj.pose.centre[frames],
                                                           angle=obj.pose.angle[frames],
                                                           radius=obj.pose.radius[frames]))
            points = project(camera.world_to_image, world)
            expected = np.concatenate([points.min(axis=1), points.max(axis=1)], axis=1)
            expected = np.clip(expected, 0, [WIDTH, HEIGHT, WIDTH, HEIGHT])
            row = render.object_ids.index(obj.object_id)
            visible = ~np.isnan(render.boxes[row, :, 0])
            np.testing.assert_allclose(render.boxes[row, visible], expected[visible], atol=1e-3)


@pytest.mark.parametrize("name, axis, sign", [("MoveLeft", 0, -1), ("MoveRight", 0, 1), ("MoveUp", 1, -1),
                                              ("MoveDown", 1, 1)])
def test_no_camera_mirrors_a_direction(name: str, axis: int, sign: int) -> None:
    for seed in range(6):
        scene = _scene(BY_NAME[name], seed=seed, cameras=4)
        for render in render_scene(scene):
            principal = render.boxes[render.object_ids.index(0)]
            centres = (principal[:, axis] + principal[:, axis + 2]) / 2
            centres = centres[~np.isnan(centres)]
            assert sign * (centres[-1] - centres[0]) > 0, f"{name} reversed in a camera (seed {seed})"


def test_sampled_cameras_keep_orientation() -> None:
    clockwise = np.array([[10.0, 10.0], [30.0, 12.0], [20.0, 30.0]])  # clockwise on screen (y down)
    for seed in range(200):
        camera = sample_camera(np.random.default_rng(seed), index=1 + seed % 3, height=HEIGHT, width=WIDTH,
                               noise_std=(1.0, 1.0))
        assert not is_mirrored(camera, HEIGHT, WIDTH)
        a, b, c = project(camera.world_to_image, clockwise)
        assert (b - a)[0] * (c - a)[1] - (b - a)[1] * (c - a)[0] > 0


def test_camera_zero_is_the_world_and_others_differ() -> None:
    scene = _scene(BY_NAME["Grow"], seed=2, cameras=3)
    np.testing.assert_array_equal(scene.cameras[0].world_to_image, np.eye(3))
    assert not np.allclose(scene.cameras[1].world_to_image, scene.cameras[2].world_to_image)
    frames = [r.frames for r in render_scene(scene)]
    assert all(f.shape == (FRAMES, HEIGHT, WIDTH, 3) and f.dtype == np.uint8 for f in frames)
    assert np.abs(frames[0].astype(int) - frames[1].astype(int)).mean() > 5


def test_rendering_is_a_pure_function_of_the_scene() -> None:
    scene = _scene(BY_NAME["SpiralIn"], seed=11, cameras=2)
    first, second = render_scene(scene), render_scene(scene)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a.frames, b.frames)
        np.testing.assert_array_equal(a.boxes, b.boxes)
    other = render_scene(_scene(BY_NAME["SpiralIn"], seed=12, cameras=2))
    assert not np.array_equal(first[0].frames, other[0].frames)


def test_no_global_brightness_drift() -> None:
    """Only objects change over time: background pixels keep their brightness (up to sensor noise)."""
    scene = _scene(BY_NAME["MoveLeft"], seed=4, cameras=2, noise=0.0)
    for render in render_scene(scene):
        occupied = np.zeros(render.frames.shape[1:3], dtype=bool)
        for box in render.boxes.reshape(-1, 4):
            if not np.isnan(box[0]):
                # Anti-aliasing may reach just past a sharp corner: leave two pixels around every box.
                top, left = max(int(box[1]) - 2, 0), max(int(box[0]) - 2, 0)
                occupied[top : int(np.ceil(box[3])) + 2, left : int(np.ceil(box[2])) + 2] = True
        background = render.frames[:, ~occupied].astype(int)
        assert background.size > 0
        assert np.all(background == background[:1])
