"""Render a scene through each of its cameras: frames and the ground-truth box of every object.

Rendering is vectorised over frames: an object's coverage of a pixel is computed from the signed distance of
the pixel's world position to the object's (convex) outline, anti-aliased over one pixel, and only inside the
window the object occupies during the clip. Boxes come from the same outline (its vertices through the
camera's homography), so a box always bounds what is drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from temporal_ssl.synthetic.cameras import CameraSpec, PixelGrid, pixel_grid, project, respond
from temporal_ssl.synthetic.motions import Pose
from temporal_ssl.synthetic.scene import Background, SceneObject, SceneSpec, Shape


@dataclass(frozen=True)
class CameraRender:
    """What one camera recorded.

    Args:
        frames: uint8 ``[T, H, W, 3]`` RGB.
        boxes: float32 ``[num_objects, T, 4]`` boxes ``(x0, y0, x1, y1)`` in continuous pixel coordinates,
            clipped to the frame, ``NaN`` where the object is out of view; rows follow ``object_ids``.
        object_ids: the object id of each row of ``boxes`` (0 is the principal).
    """

    frames: np.ndarray
    boxes: np.ndarray
    object_ids: tuple[int, ...]


def render_scene(scene: SceneSpec) -> tuple[CameraRender, ...]:
    """Every camera's frames and boxes (a pure function of ``scene``)."""
    seeds = np.random.SeedSequence(scene.noise_seed).spawn(len(scene.cameras))
    return tuple(_render_camera(scene, camera, np.random.default_rng(seed))
                 for camera, seed in zip(scene.cameras, seeds, strict=True))


def _render_camera(scene: SceneSpec, camera: CameraSpec, noise_rng: np.random.Generator) -> CameraRender:
    height, width, num_frames = scene.height, scene.width, scene.num_frames
    grid = pixel_grid(camera, height, width)
    background = respond(camera, background_colours(scene.background, grid))
    frames = np.repeat(background[None], num_frames, axis=0)
    ordered = sorted(scene.objects, key=lambda o: o.object_id)
    boxes = np.stack([
        object_boxes(o.shape, o.pose.window(camera.offset_frames, num_frames), camera, height, width)
        for o in ordered
    ]) if ordered else np.zeros((0, num_frames, 4))
    row = {o.object_id: r for r, o in enumerate(ordered)}
    for obj in scene.objects:  # back to front
        _draw(frames, obj, camera, grid, boxes[row[obj.object_id]])
    if camera.noise_std > 0:
        noise = noise_rng.standard_normal(frames.shape, dtype=np.float32)
        noise *= np.float32(camera.noise_std)
        frames += noise
    np.rint(frames, out=frames)
    pixels = np.clip(frames, 0, 255, out=frames).astype(np.uint8)
    return CameraRender(pixels, boxes.astype(np.float32), tuple(o.object_id for o in ordered))


def background_colours(background: Background, grid: PixelGrid) -> np.ndarray:
    """float32 ``[h, w, 3]`` RGB of the texture at the grid's world positions (before the colour response)."""
    colour = np.broadcast_to(background.base.astype(np.float32), grid.x.shape + (3,)).copy()
    for frequency, phase, amplitude in zip(background.frequencies, background.phases, background.amplitudes,
                                              strict=True):
        wave = np.sin(2 * np.pi * (frequency[0] * grid.x + frequency[1] * grid.y) + phase).astype(np.float32)
        colour += wave[..., None] * amplitude.astype(np.float32)
    rows = np.floor(grid.y).astype(np.int64) % background.grain.shape[0]
    cols = np.floor(grid.x).astype(np.int64) % background.grain.shape[1]
    colour += background.grain[rows, cols][..., None]
    return colour


def outline(shape: Shape, pose: Pose) -> np.ndarray:
    """World positions of the shape's vertices in every frame: float64 ``[T, N, 2]``."""
    cos, sin = np.cos(pose.angle)[:, None], np.sin(pose.angle)[:, None]
    x, y = shape.vertices[None, :, 0], shape.vertices[None, :, 1]
    rotated = np.stack([cos * x - sin * y, sin * x + cos * y], axis=-1)
    return pose.centre[:, None, :] + pose.radius[:, None, None] * rotated


def object_boxes(shape: Shape, pose: Pose, camera: CameraSpec, height: int, width: int) -> np.ndarray:
    """float64 ``[T, 4]`` boxes of the object in ``camera``, clipped to the frame, NaN when out of view."""
    points = project(camera.world_to_image, outline(shape, pose))
    boxes = np.concatenate([points.min(axis=1), points.max(axis=1)], axis=1)
    boxes = np.clip(boxes, 0.0, [width, height, width, height])
    hidden = (boxes[:, 2] <= boxes[:, 0]) | (boxes[:, 3] <= boxes[:, 1])
    boxes[hidden] = np.nan
    return boxes


def coverage(shape: Shape, pose: Pose, grid: PixelGrid) -> tuple[np.ndarray, np.ndarray]:
    """Anti-aliased coverage of the polygon and of its spot at each grid pixel: two float32 ``[T, h, w]``.

    The polygon's signed distance is the largest distance to its edge lines (exact inside a convex polygon,
    a close bound outside), converted to pixels with the grid's local pixel size.
    """
    corners = outline(shape, pose)  # [T, N, 2]
    edges = np.roll(corners, -1, axis=1) - corners
    normals = np.stack([edges[..., 1], -edges[..., 0]], axis=-1)
    normals /= np.linalg.norm(normals, axis=-1, keepdims=True)
    offsets = (normals * corners).sum(axis=-1)
    # Orient every normal outwards (away from the centre), whatever the vertex order.
    inward = (normals * pose.centre[:, None, :]).sum(axis=-1) > offsets
    normals[inward] *= -1
    offsets[inward] *= -1
    x, y = grid.x[None], grid.y[None]
    distance = None
    for k in range(corners.shape[1]):
        nx, ny, d = (a[:, k, None, None].astype(np.float32)
                     for a in (normals[..., 0], normals[..., 1], offsets))
        edge = nx * x + ny * y - d
        distance = edge if distance is None else np.maximum(distance, edge)
    polygon = np.clip(0.5 - distance / grid.pixel_size, 0.0, 1.0)

    cos, sin = np.cos(pose.angle), np.sin(pose.angle)
    sx, sy = shape.spot_centre
    spot_x = (pose.centre[:, 0] + pose.radius * (cos * sx - sin * sy)).astype(np.float32)[:, None, None]
    spot_y = (pose.centre[:, 1] + pose.radius * (sin * sx + cos * sy)).astype(np.float32)[:, None, None]
    spot_radius = (pose.radius * shape.spot_radius).astype(np.float32)[:, None, None]
    spot_distance = np.sqrt((x - spot_x) ** 2 + (y - spot_y) ** 2) - spot_radius
    spot = np.clip(0.5 - spot_distance / grid.pixel_size, 0.0, 1.0) * polygon
    return polygon.astype(np.float32), spot.astype(np.float32)


def _draw(
    frames: np.ndarray, obj: SceneObject, camera: CameraSpec, grid: PixelGrid, boxes: np.ndarray
) -> None:
    """Composite ``obj`` over ``frames`` in place, inside the window its boxes span (plus one pixel)."""
    visible = ~np.isnan(boxes[:, 0])
    if not visible.any():
        return
    height, width = frames.shape[1:3]
    left = max(int(np.floor(np.nanmin(boxes[:, 0]))) - 1, 0)
    top = max(int(np.floor(np.nanmin(boxes[:, 1]))) - 1, 0)
    right = min(int(np.ceil(np.nanmax(boxes[:, 2]))) + 1, width)
    bottom = min(int(np.ceil(np.nanmax(boxes[:, 3]))) + 1, height)
    pose = obj.pose.window(camera.offset_frames, frames.shape[0])
    polygon, spot = coverage(obj.shape, pose, grid.window(top, bottom, left, right))
    region = frames[:, top:bottom, left:right]
    colour = respond(camera, obj.shape.colour)
    spot_colour = respond(camera, obj.shape.spot_colour)
    region += polygon[..., None] * (colour - region)
    region += spot[..., None] * (spot_colour - region)
