"""What a synthetic scene holds: a textured background, a principal object, distractors and cameras.

Sampling is split in two so that a UCF-style *group* can share its look while its clips differ in motion:
:func:`sample_appearance` draws the background, the objects' shapes, colours and sizes, and the cameras;
:func:`sample_scene` adds the motion of one clip. Both are pure functions of the random generator they get.
Principal and distractors share one distribution of shapes, sizes and brightness (luma), so statistics of
brightness cannot tell them apart and the distractor that mirrors the principal's motion (its *twin*, see
``motions``) balances it exactly. What marks the principal is colour: it alone is vivid, distractors are
nearly grey — like the actor of an action clip, it is the object to watch, and nothing about it tells the
class. Backgrounds are muted so that the vivid object stands out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from temporal_ssl.synthetic.cameras import CameraSpec, sample_camera
from temporal_ssl.synthetic.motions import MotionClass, Pose, drift_pose, principal_pose, twin_pose

Role = Literal["principal", "distractor"]

# Minimum luma difference (grey levels) between an object's colour and the background's base colour.
MIN_OBJECT_CONTRAST = 60.0
# Chroma (distance from grey, grey levels) of the principal's colour, of distractors and spots, and the
# largest per-channel departure from grey of a background's base colour.
MAX_VIVID_CHROMA = 120.0
MAX_GREY_CHROMA = 10.0
BACKGROUND_CHROMA = 20.0
SHAPE_VERTEX_COUNTS = (3, 4, 5, 6, 8)


@dataclass(frozen=True)
class SceneOptions:
    """How scenes look and move (everything except size, length and camera count).

    Args:
        num_distractors: inclusive range of distractor objects per scene (at least 1: the first one slows
            down as much as the principal speeds up; the others drift at constant speed).
        start_speed_fraction: the principal's speed at frame 0 as a fraction of its final speed (0 = from
            rest). Lower values give a stronger arrow of time; higher values make an unordered bag of frames
            less informative about the direction (see ``motions``).
        object_radius_fraction: range of object sizes (circumradius) as a fraction of the shorter frame side.
        noise_std: range of each camera's per-frame sensor noise, grey levels.
        max_camera_offset_frames: cameras start recording up to this many scene frames apart (0: all cameras
            start together); the offsets are written to ``sync.json``.
    """

    num_distractors: tuple[int, int] = (1, 2)
    start_speed_fraction: float = 0.25
    object_radius_fraction: tuple[float, float] = (0.11, 0.15)
    noise_std: tuple[float, float] = (0.5, 1.5)
    max_camera_offset_frames: int = 0

    def __post_init__(self) -> None:
        low, high = self.num_distractors
        if not 1 <= low <= high <= 8:
            raise ValueError(f"num_distractors = {self.num_distractors}: need 1 <= min <= max <= 8")
        if not 0.0 <= self.start_speed_fraction < 1.0:
            raise ValueError(f"start_speed_fraction = {self.start_speed_fraction}: need a value in [0, 1)")
        low_r, high_r = self.object_radius_fraction
        if not 0.02 <= low_r <= high_r <= 0.3:
            raise ValueError(f"object_radius_fraction = {self.object_radius_fraction}: need "
                             "0.02 <= min <= max <= 0.3")
        if not 0.0 <= self.noise_std[0] <= self.noise_std[1] <= 50.0:
            raise ValueError(f"noise_std = {self.noise_std}: need 0 <= min <= max <= 50")
        if self.max_camera_offset_frames < 0:
            raise ValueError(f"max_camera_offset_frames = {self.max_camera_offset_frames}: need >= 0")


@dataclass(frozen=True)
class Shape:
    """A convex polygon with a contrasting spot, in unit object coordinates (centroid at 0, circumradius 1).

    Args:
        vertices: float64 ``[N, 2]`` in order around the polygon.
        colour: float64 ``[3]`` RGB, 0..255.
        spot_centre: float64 ``[2]`` centre of the spot (inside the polygon), so rotation shows even when the
            outline is nearly round.
        spot_radius: radius of the spot.
        spot_colour: float64 ``[3]`` RGB.
    """

    vertices: np.ndarray
    colour: np.ndarray
    spot_centre: np.ndarray
    spot_radius: float
    spot_colour: np.ndarray


@dataclass(frozen=True)
class Background:
    """A static procedural texture: a base colour, sine gratings and fine grain, defined everywhere.

    Args:
        base: float64 ``[3]`` RGB.
        frequencies: float64 ``[K, 2]`` grating frequencies in cycles per world pixel.
        phases: float64 ``[K]``.
        amplitudes: float64 ``[K, 3]`` RGB amplitude of each grating.
        grain: float32 ``[H, W]`` fine texture (grey levels) on the world canvas, repeated beyond it.
    """

    base: np.ndarray
    frequencies: np.ndarray
    phases: np.ndarray
    amplitudes: np.ndarray
    grain: np.ndarray


@dataclass(frozen=True)
class Appearance:
    """Everything about a scene that is not motion (shared by the clips of one UCF-style group)."""

    background: Background
    shapes: tuple[Shape, ...]
    base_radii: tuple[float, ...]
    depth_order: tuple[int, ...]
    cameras: tuple[CameraSpec, ...]

    @property
    def num_distractors(self) -> int:
        return len(self.shapes) - 1


@dataclass(frozen=True)
class SceneObject:
    """One object and its pose over the scene's frames; ``object_id`` 0 is the principal."""

    object_id: int
    role: Role
    shape: Shape
    pose: Pose


@dataclass(frozen=True)
class SceneSpec:
    """A complete scene, ready to render.

    Args:
        height, width: frame size of every camera.
        num_frames: frames each camera records.
        background: the static texture.
        objects: drawn back to front.
        cameras: the synchronised cameras; each shows scene frames ``offset_frames .. + num_frames - 1``.
        noise_seed: seeds the sensor noise, so rendering is a pure function of the spec.
        class_name: the principal's motion class.
    """

    height: int
    width: int
    num_frames: int
    background: Background
    objects: tuple[SceneObject, ...]
    cameras: tuple[CameraSpec, ...]
    noise_seed: int
    class_name: str


def sample_appearance(
    rng: np.random.Generator,
    *,
    height: int,
    width: int,
    num_cameras: int,
    options: SceneOptions,
) -> Appearance:
    """Draw the background, the principal and distractor shapes, their sizes and the cameras."""
    background = _sample_background(rng, height, width)
    num_objects = 1 + int(rng.integers(options.num_distractors[0], options.num_distractors[1] + 1))
    side = float(min(height, width))
    shapes = tuple(_sample_shape(rng, background.base, vivid=i == 0) for i in range(num_objects))
    radii = tuple(float(rng.uniform(*options.object_radius_fraction) * side) for _ in range(num_objects))
    depth_order = tuple(int(i) for i in rng.permutation(num_objects))
    offsets = rng.integers(0, options.max_camera_offset_frames + 1, size=num_cameras)
    offsets -= offsets.min()
    cameras = tuple(
        sample_camera(rng, index=k, height=height, width=width, noise_std=options.noise_std,
                      offset_frames=int(offsets[k]))
        for k in range(num_cameras)
    )
    return Appearance(background, shapes, radii, depth_order, cameras)


def sample_scene(
    rng: np.random.Generator,
    appearance: Appearance,
    motion: MotionClass,
    *,
    height: int,
    width: int,
    num_frames: int,
    options: SceneOptions,
) -> SceneSpec:
    """Add one clip's motion to ``appearance``: the principal performs ``motion``, distractors wander."""
    scene_frames = num_frames + max(c.offset_frames for c in appearance.cameras)
    fraction = options.start_speed_fraction
    poses = [principal_pose(motion, rng, num_frames=scene_frames, height=height, width=width,
                            base_radius=appearance.base_radii[0], start_speed_fraction=fraction)]
    poses.append(twin_pose(motion, rng, num_frames=scene_frames, height=height, width=width,
                           base_radius=appearance.base_radii[1], start_speed_fraction=fraction))
    for index in range(2, len(appearance.shapes)):
        poses.append(drift_pose(rng, num_frames=scene_frames, height=height, width=width,
                                base_radius=appearance.base_radii[index]))
    objects = tuple(
        SceneObject(i, "principal" if i == 0 else "distractor", appearance.shapes[i], poses[i])
        for i in appearance.depth_order
    )
    return SceneSpec(height, width, num_frames, appearance.background, objects, appearance.cameras,
                     noise_seed=int(rng.integers(2**63)), class_name=motion.name)


def _luma(rgb: np.ndarray) -> float:
    return float(rgb @ np.array([0.299, 0.587, 0.114]))


def _object_colour(rng: np.random.Generator, against: np.ndarray, *, vivid: bool) -> np.ndarray:
    """A colour whose luma is at least ``MIN_OBJECT_CONTRAST`` from ``against``'s; vivid or nearly grey.

    The luma is drawn the same way in both cases, so only the chroma differs.
    """
    below = (20.0, _luma(against) - MIN_OBJECT_CONTRAST)
    above = (_luma(against) + MIN_OBJECT_CONTRAST, 235.0)
    room = max(below[1] - below[0], 0.0), max(above[1] - above[0], 0.0)
    pick = rng.uniform(0.0, room[0] + room[1])
    luma = below[0] + pick if pick < room[0] else above[0] + pick - room[0]
    hue = rng.uniform(0.0, 2 * np.pi)
    chroma = np.cos(hue - np.array([0.0, 2 * np.pi / 3, 4 * np.pi / 3]))
    chroma -= _luma(chroma)  # a direction that leaves the luma unchanged ...
    chroma /= np.abs(chroma).max()  # ... scaled: ``amount`` is the largest channel's departure from grey
    fits = min((255.0 - luma) / c if c > 0 else luma / -c for c in chroma if abs(c) > 1e-9)
    if vivid:
        amount = min(fits * rng.uniform(0.8, 1.0), MAX_VIVID_CHROMA)
    else:
        amount = min(rng.uniform(0.0, MAX_GREY_CHROMA), fits)
    return luma + amount * chroma


def _sample_shape(rng: np.random.Generator, background: np.ndarray, *, vivid: bool) -> Shape:
    """A random convex polygon (a jittered regular polygon, stretched) with a grey spot near one vertex."""
    count = int(rng.choice(SHAPE_VERTEX_COUNTS))
    spacing = 2 * np.pi / count
    angles = np.sort(np.arange(count) * spacing + rng.uniform(-0.35, 0.35, size=count) * spacing)
    points = np.stack([np.cos(angles), np.sin(angles)], axis=1)  # on a circle, so convex
    points[:, 0] *= rng.uniform(0.55, 1.0)  # stretching keeps it convex
    vertices = points - _polygon_centroid(points)
    vertices /= np.linalg.norm(vertices, axis=1).max()
    colour = _object_colour(rng, background, vivid=vivid)
    spot_colour = _object_colour(rng, colour, vivid=False)
    spot_centre = 0.45 * vertices[int(rng.integers(count))]  # inside: between the centroid and a vertex
    return Shape(vertices, colour, spot_centre, float(rng.uniform(0.2, 0.3)), spot_colour)


def _polygon_centroid(points: np.ndarray) -> np.ndarray:
    x, y = points[:, 0], points[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    area = cross.sum() / 2.0
    return np.array([((x + np.roll(x, -1)) * cross).sum(), ((y + np.roll(y, -1)) * cross).sum()]) / (6 * area)


def _sample_background(rng: np.random.Generator, height: int, width: int) -> Background:
    """Two coarse and two fine gratings over a muted random base colour, plus static grain."""
    side = float(min(height, width))
    base = rng.uniform(60.0, 195.0) + rng.uniform(-BACKGROUND_CHROMA, BACKGROUND_CHROMA, size=3)
    cycles = np.concatenate([rng.uniform(0.7, 2.5, size=2), rng.uniform(4.0, 8.0, size=2)])
    heading = rng.uniform(0.0, np.pi, size=4)
    frequencies = (cycles / side)[:, None] * np.stack([np.cos(heading), np.sin(heading)], axis=1)
    coarse = rng.uniform(-28.0, 28.0, size=(2, 1)) + rng.uniform(-8.0, 8.0, size=(2, 3))
    fine = rng.uniform(-10.0, 10.0, size=(2, 1)) + rng.uniform(-3.0, 3.0, size=(2, 3))
    amplitudes = np.concatenate([coarse, fine])
    grain = rng.normal(0.0, rng.uniform(2.0, 6.0), size=(height, width)).astype(np.float32)
    return Background(base, frequencies, rng.uniform(0.0, 2 * np.pi, size=4), amplitudes, grain)
