"""Synchronised virtual cameras: a viewpoint warp, a colour response and sensor noise per camera.

Every camera sees the same scene state at the same scene instant. Camera 0 looks straight at the world canvas
(its geometry is the identity, so world coordinates are camera-0 pixels); the others zoom in a little, turn by
a few degrees, shear, shift and tilt (a mild homography). No warp ever mirrors the image (the homography's
linear part has a positive determinant and its denominator stays positive over the frame), so "move left" and
"clockwise" stay true in every camera.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ZOOM = (1.0, 1.3)
ROTATION_DEGREES = 10.0
SHEAR = 0.06
SHIFT_FRACTION = 0.08
# Perspective terms, per pixel of the longer side: the homography's denominator varies by at most +-8% over
# the frame, far from the sign change that would fold the image over.
TILT_PER_SIDE = 0.08
COLOUR_GAIN = (0.85, 1.15)
COLOUR_GAMMA = (0.8, 1.25)
COLOUR_OFFSET = 10.0


@dataclass(frozen=True)
class CameraSpec:
    """One virtual camera.

    Args:
        world_to_image: float64 ``[3, 3]`` homography from world pixels to this camera's pixels (continuous
            coordinates: pixel ``(i, j)`` covers ``[j, j+1) x [i, i+1)``).
        gain: float64 ``[3]`` per-channel gain of the colour response.
        gamma: exponent of the colour response (shared by the channels).
        offset: float64 ``[3]`` per-channel offset in grey levels.
        noise_std: standard deviation of the per-frame Gaussian sensor noise, in grey levels.
        offset_frames: scene frame shown by this camera's frame 0 (cameras that started recording late).
    """

    world_to_image: np.ndarray
    gain: np.ndarray
    gamma: float
    offset: np.ndarray
    noise_std: float
    offset_frames: int = 0


def sample_camera(
    rng: np.random.Generator,
    *,
    index: int,
    height: int,
    width: int,
    noise_std: tuple[float, float],
    offset_frames: int = 0,
) -> CameraSpec:
    """A random camera; ``index`` 0 keeps the identity geometry (it defines world coordinates)."""
    geometry = np.eye(3)
    if index > 0:
        geometry = _random_homography(rng, height, width)
    return CameraSpec(
        world_to_image=geometry,
        gain=rng.uniform(*COLOUR_GAIN, size=3),
        gamma=float(rng.uniform(*COLOUR_GAMMA)),
        offset=rng.uniform(-COLOUR_OFFSET, COLOUR_OFFSET, size=3),
        noise_std=float(rng.uniform(*noise_std)),
        offset_frames=offset_frames,
    )


def _random_homography(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Zoom, small rotation and shear, shift and a mild tilt about the frame centre; never a mirror."""
    centre = np.array([width / 2.0, height / 2.0])
    angle = np.deg2rad(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-SHEAR, SHEAR)], [0.0, 1.0]])
    linear = rng.uniform(*ZOOM) * rotation @ shear
    shift = rng.uniform(-SHIFT_FRACTION, SHIFT_FRACTION, size=2) * np.array([width, height])
    tilt = rng.uniform(-TILT_PER_SIDE, TILT_PER_SIDE, size=2) / (0.5 * max(height, width))

    to_centre = _translation(-centre)
    affine = np.eye(3)
    affine[:2, :2] = linear
    perspective = np.eye(3)
    perspective[2, :2] = tilt
    return _translation(centre + shift) @ perspective @ affine @ to_centre


def _translation(shift: np.ndarray) -> np.ndarray:
    matrix = np.eye(3)
    matrix[:2, 2] = shift
    return matrix


def project(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a ``[3, 3]`` homography to points ``[..., 2]``."""
    ones = np.ones(points.shape[:-1] + (1,))
    mapped = np.concatenate([points, ones], axis=-1) @ homography.T
    return mapped[..., :2] / mapped[..., 2:3]


@dataclass(frozen=True)
class PixelGrid:
    """Where each pixel of a camera (or a window of it) looks in the world.

    Args:
        x, y: float32 ``[h, w]`` world coordinates of the pixel centres.
        pixel_size: float32 ``[h, w]`` world length of one pixel there (for anti-aliasing).
    """

    x: np.ndarray
    y: np.ndarray
    pixel_size: np.ndarray

    def window(self, top: int, bottom: int, left: int, right: int) -> PixelGrid:
        """The rows ``top:bottom`` and columns ``left:right``."""
        rows, cols = slice(top, bottom), slice(left, right)
        return PixelGrid(self.x[rows, cols], self.y[rows, cols], self.pixel_size[rows, cols])


def pixel_grid(camera: CameraSpec, height: int, width: int) -> PixelGrid:
    """World coordinates of every pixel centre of ``camera``."""
    cols, rows = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    image_to_world = np.linalg.inv(camera.world_to_image)
    world = project(image_to_world, np.stack([cols, rows], axis=-1))
    if np.allclose(camera.world_to_image, np.eye(3)):
        size = np.ones((height, width))
    else:
        # Area scale of the inverse warp, from its Jacobian (finite differences over one pixel).
        dx = project(image_to_world, np.stack([cols + 1.0, rows], axis=-1)) - world
        dy = project(image_to_world, np.stack([cols, rows + 1.0], axis=-1)) - world
        size = np.sqrt(np.abs(dx[..., 0] * dy[..., 1] - dx[..., 1] * dy[..., 0]))
    return PixelGrid(world[..., 0].astype(np.float32), world[..., 1].astype(np.float32),
                     size.astype(np.float32))


def respond(camera: CameraSpec, colours: np.ndarray) -> np.ndarray:
    """The camera's colour response applied to linear RGB ``[..., 3]`` in 0..255 (float32 out, unclipped)."""
    scaled = np.clip(colours, 0.0, 255.0) / 255.0
    return (255.0 * camera.gain * scaled**camera.gamma + camera.offset).astype(np.float32)


def is_mirrored(camera: CameraSpec, height: int, width: int) -> bool:
    """Whether the warp flips orientation anywhere over the frame (never true for sampled cameras)."""
    corners = np.array([[0.0, 0.0], [width, 0.0], [0.0, height], [width, height]])
    denominators = np.concatenate([corners, np.ones((4, 1))], axis=1) @ camera.world_to_image[2]
    return bool(np.linalg.det(camera.world_to_image) <= 0 or np.any(denominators <= 0))
