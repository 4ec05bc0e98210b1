"""Find the patches worth tracking: where a frame moves, if it moves in a useful way.

Wang & Gupta (ICCV 2015) detect SURF points, call a point *moving* when its IDT flow exceeds
0.5 px, reject frames where too few points move (noise) or too many (camera motion), and slide a fixed-size
box to the position holding the most moving points. We replace points and flow by pixels and frame
differences:

* **motion energy** at frame ``t`` is the three-frame difference ``min(|g_t - g_{t-k}|, |g_{t+k} - g_t|)`` of
  grey levels ``g``; taking the minimum keeps only what moved *at* ``t`` (a plain two-frame difference also
  lights up where the object was and where it will be);
* **interest pixels** stand in for SURF points: pixels whose spatial gradient is at least
  ``texture_threshold``; the *moving fraction* is the share of interest pixels whose energy exceeds
  ``motion_threshold``;
* **box placement** maximises the thresholded motion mass inside a square box with an integral image (one
  vectorised pass over every position), centres the box on the motion centroid inside it and, by default, fits
  it to the motion's extent; further boxes must not overlap earlier ones and must each hold ``min_box_share``
  of the frame's motion mass.

A global-motion check (phase correlation, the dominant translation between the frames) stands in for IDT's
camera-motion estimate: frames whose camera moved are rejected as camera motion, or, with
``compensate_translation``, re-aligned before differencing so that panning shots can still be mined. The
moving-fraction ceiling still catches camera motion a translation does not explain (zoom, rotation).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from temporal_ssl.errors import ConfigError
from temporal_ssl.types import Box

Rejection = Literal["too_little_motion", "camera_motion", "no_box"]


@dataclass(frozen=True, kw_only=True)
class MinerOptions:
    """How moving patches are found in a frame.

    Args:
        box_size: side of the square search box as a fraction of the frame's shorter side (0-1]: the
            query patch is placed where this box holds the most motion.
        fit_box: fit the query box to the extent of the motion around it (at most 1.5 x ``box_size``), so the
            tracker follows the mover and not the static background a fixed-size box would also hold; off,
            boxes keep the fixed square size as in the paper.
        min_box_size: least side of a fitted box, as a fraction of the frame's shorter side.
        motion_threshold: grey levels (0-255) of frame difference above which a pixel counts as moving; above
            compression noise (2-5 levels for typical H.264) and below the contrast of a textured mover.
        texture_threshold: spatial gradient (grey levels per pixel, ``|dx| + |dy|``) above which a pixel is an
            *interest pixel*, the stand-in for a SURF point.
        min_moving_fraction: frames whose moving share of interest pixels is below this are rejected as
            noise. The paper's rule uses 25 % of SURF points, which sit mostly on salient (often moving)
            objects; interest pixels cover the whole textured scene, so a single mover is a few percent of
            them and the default is 2 %.
        max_moving_fraction: frames whose moving share is above this are rejected as camera motion (the
            paper's 75 %, which transfers directly: under a pan nearly every interest pixel changes).
        num_boxes: most boxes per frame (non-overlapping, best first).
        min_box_share: each box must hold at least this share of the frame's thresholded motion mass.
        frame_gap: ``k`` in the three-frame difference, in frames (more gap, more displacement per
            difference).
        global_motion_check: estimate the camera's translation between the frames by phase correlation; a
            frame whose camera moved is rejected as camera motion, or compensated (below).
        compensate_translation: undo the camera's translation before differencing instead of rejecting the
            frame, so that a panning camera's frames can still be mined (needs ``global_motion_check``).
    """

    box_size: float = 0.3
    fit_box: bool = True
    min_box_size: float = 0.08
    motion_threshold: float = 15.0
    texture_threshold: float = 12.0
    min_moving_fraction: float = 0.02
    max_moving_fraction: float = 0.75
    num_boxes: int = 1
    min_box_share: float = 0.2
    frame_gap: int = 2
    global_motion_check: bool = True
    compensate_translation: bool = False

    def __post_init__(self) -> None:
        where = "tracking miner option"
        if not 0.0 < self.box_size <= 1.0:
            raise ConfigError(f"{where} 'box_size' must be in (0, 1] (a fraction of the shorter frame side), "
                              f"got {self.box_size}")
        if not 0.0 < self.min_box_size <= self.box_size:
            raise ConfigError(f"{where} 'min_box_size' must be in (0, box_size={self.box_size}], "
                              f"got {self.min_box_size}")
        if self.motion_threshold < 0 or self.texture_threshold < 0:
            raise ConfigError(f"{where}s 'motion_threshold' and 'texture_threshold' must be >= 0 grey "
                              "levels, "
                              f"got {self.motion_threshold} and {self.texture_threshold}")
        if not 0.0 <= self.min_moving_fraction < self.max_moving_fraction <= 1.0:
            raise ConfigError(
                f"{where}s need 0 <= 'min_moving_fraction' < 'max_moving_fraction' <= 1, got "
                f"{self.min_moving_fraction} and {self.max_moving_fraction}")
        if self.num_boxes < 1:
            raise ConfigError(f"{where} 'num_boxes' must be >= 1, got {self.num_boxes}")
        if not 0.0 <= self.min_box_share <= 1.0:
            raise ConfigError(f"{where} 'min_box_share' must be within 0-1, got {self.min_box_share}")
        if self.frame_gap < 1:
            raise ConfigError(f"{where} 'frame_gap' must be >= 1 frame, got {self.frame_gap}")
        if self.compensate_translation and not self.global_motion_check:
            raise ConfigError(f"{where} 'compensate_translation' needs 'global_motion_check: true' "
                              "(the check "
                              "measures the translation it undoes)")


@dataclass(frozen=True)
class MinedFrame:
    """What the miner found in one frame.

    Args:
        moving_fraction: share of interest pixels that move (0-1).
        rejection: why the frame gives no patch, or ``None`` when ``boxes`` holds at least one box.
        boxes: query boxes ``(x0, y0, x1, y1)`` in pixels of the given frames, best first.
        shares: the share of the frame's motion mass inside each box.
    """

    moving_fraction: float
    rejection: Rejection | None
    boxes: tuple[Box, ...]
    shares: tuple[float, ...]


def box_side(height: int, width: int, box_size: float) -> int:
    """Side in pixels of the search box for a ``height`` x ``width`` frame (8 px to the whole frame)."""
    return int(min(height, width, max(8, round(box_size * min(height, width)))))


@functools.lru_cache(maxsize=8)
def _hann(height: int, width: int) -> np.ndarray:
    return np.outer(np.hanning(height), np.hanning(width)).astype(np.float32)


def global_translation(reference: np.ndarray, moved: np.ndarray, *, grid: tuple[int, int] = (3, 4),
                       min_support: float = 0.5) -> tuple[int, int]:
    """Integer shift ``(dy, dx)`` of the camera from ``reference`` to ``moved``; ``(0, 0)`` when unclear.

    The frame is cut into ``grid`` blocks and each block's shift is found by phase correlation (one batched
    FFT); blocks vote with the prominence of their correlation peak (how clearly they moved as one) and the
    shift with at least ``min_support`` of the votes is the camera's. A foreground mover sways only its own
    blocks, the stand-in for IDT's robust (RANSAC) homography over many point matches.

    Args:
        reference, moved: float32 grey ``[H, W]``.
        grid: blocks along ``(y, x)``.
        min_support: share of the votes the winning shift needs.
    """
    rows, cols = grid
    block_h, block_w = reference.shape[0] // rows, reference.shape[1] // cols
    if block_h < 8 or block_w < 8:
        rows, cols = 1, 1
        block_h, block_w = reference.shape

    def blocks(image: np.ndarray) -> np.ndarray:
        grid_cut = image[:rows * block_h, :cols * block_w].reshape(rows, block_h, cols, block_w)
        cut = grid_cut.transpose(0, 2, 1, 3).reshape(rows * cols, block_h, block_w)
        return (cut - cut.mean(axis=(1, 2), keepdims=True)) * _hann(block_h, block_w)

    cross = np.fft.rfft2(blocks(moved)) * np.conj(np.fft.rfft2(blocks(reference)))
    # Half whitening: full phase correlation lets sensor noise and sharp object edges outvote a smooth
    # background; none at all gives broad, ambiguous peaks.
    cross /= np.sqrt(np.abs(cross)) + 1e-6
    surface = np.fft.irfft2(cross, s=(block_h, block_w)).reshape(rows * cols, -1)
    peaks = surface.argmax(axis=1)
    # A block votes with its peak's share of its correlation surface: flat blocks have no clear peak.
    weights = surface[np.arange(rows * cols), peaks] / (np.abs(surface).sum(axis=1) + 1e-12)
    dy, dx = np.unravel_index(peaks, (block_h, block_w))
    dy = np.where(dy > block_h // 2, dy - block_h, dy)
    dx = np.where(dx > block_w // 2, dx - block_w, dx)
    votes: dict[tuple[int, int], float] = {}
    for shift, weight in zip(zip(dy.tolist(), dx.tolist(), strict=True), weights.tolist(), strict=True):
        votes[shift] = votes.get(shift, 0.0) + max(weight, 0.0)
    total = sum(votes.values())
    best = max(votes, key=lambda k: votes[k])
    return best if total > 0 and votes[best] >= min_support * total else (0, 0)


def _aligned_difference(current: np.ndarray, other: np.ndarray, shift: tuple[int, int]) -> np.ndarray:
    """``|current - other|`` after moving ``other`` by ``shift`` onto ``current``; uncovered borders are 0."""
    dy, dx = shift
    if dy == 0 and dx == 0:
        return np.abs(current - other)
    difference = np.abs(current - np.roll(other, (dy, dx), axis=(0, 1)))
    if dy > 0:
        difference[:dy] = 0
    elif dy < 0:
        difference[dy:] = 0
    if dx > 0:
        difference[:, :dx] = 0
    elif dx < 0:
        difference[:, dx:] = 0
    return difference


def three_frame_energy(previous: np.ndarray | None, current: np.ndarray, following: np.ndarray, *,
                       shifts: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))) -> np.ndarray:
    """Motion energy localised at ``current``: the minimum of the differences to both neighbours.

    Args:
        previous: float32 grey ``[H, W]`` ``k`` frames earlier, or ``None`` at the start of a video (the
            energy is then the plain difference to ``following``).
        current, following: float32 grey ``[H, W]``.
        shifts: camera shifts ``(dy, dx)`` from ``previous`` and from ``following`` to ``current``, undone
            before differencing (see :func:`global_translation`).

    Returns:
        float32 ``[H, W]`` grey levels.
    """
    energy = _aligned_difference(current, following, shifts[1])
    if previous is not None:
        np.minimum(energy, _aligned_difference(current, previous, shifts[0]), out=energy)
    return energy


def camera_shifts(previous: np.ndarray | None, current: np.ndarray, following: np.ndarray
                  ) -> tuple[tuple[int, int], tuple[int, int]]:
    """Camera shifts from ``previous`` and from ``following`` onto ``current`` (``(0, 0)`` if absent)."""
    from_previous = (0, 0) if previous is None else global_translation(previous, current)
    return from_previous, global_translation(following, current)


def interest_mask(grey: np.ndarray, texture_threshold: float) -> np.ndarray:
    """Pixels with spatial gradient ``|dx| + |dy|`` of at least ``texture_threshold`` (bool ``[H, W]``)."""
    gradient = np.zeros_like(grey)
    gradient[:, :-1] += np.abs(np.diff(grey, axis=1))
    gradient[:-1, :] += np.abs(np.diff(grey, axis=0))
    return gradient >= texture_threshold


def box_sums(values: np.ndarray, box_height: int, box_width: int) -> np.ndarray:
    """Sum of ``values`` inside every ``box_height`` x ``box_width`` window, indexed by its top-left corner.

    Args:
        values: float ``[H, W]``.

    Returns:
        float64 ``[H - box_height + 1, W - box_width + 1]``.
    """
    integral = np.zeros((values.shape[0] + 1, values.shape[1] + 1), dtype=np.float64)
    np.cumsum(np.cumsum(values, axis=0, dtype=np.float64), axis=1, out=integral[1:, 1:])
    return (integral[box_height:, box_width:] - integral[:-box_height, box_width:]
            - integral[box_height:, :-box_width] + integral[:-box_height, :-box_width])


def fit_box_to_motion(mass: np.ndarray, box: Box, *, min_side: int, quantile: float = 0.03,
                      margin: float = 0.1) -> Box:
    """Shrink (or grow up to 1.5x) ``box`` to the extent of the motion mass around it.

    The extent is taken between the ``quantile`` and ``1 - quantile`` points of the mass's marginals inside
    the box enlarged by 25 % per side, widened by ``margin`` of its size per side, at least ``min_side``
    pixels, and kept inside the frame. A box that fits the mover makes the tracker follow it rather than the
    static background a fixed-size box would also hold.

    Args:
        mass: float ``[H, W]`` non-negative motion mass.
        box: ``(x0, y0, x1, y1)`` with integer corners.
        min_side: least width and height in pixels.
        quantile: mass share cut off at each end of each axis.
        margin: widening per side, as a share of the fitted width or height.
    """
    height, width = mass.shape
    x0, y0, x1, y1 = (int(v) for v in box)
    grow_x, grow_y = (x1 - x0) // 4, (y1 - y0) // 4
    left, top = max(0, x0 - grow_x), max(0, y0 - grow_y)
    right, bottom = min(width, x1 + grow_x), min(height, y1 + grow_y)
    region = mass[top:bottom, left:right]
    total = float(region.sum())
    if total <= 0.0:
        return box

    def extent(marginal: np.ndarray, offset: int, limit: int) -> tuple[float, float]:
        cumulative = np.cumsum(marginal) / total
        low = int(np.searchsorted(cumulative, quantile))
        high = int(np.searchsorted(cumulative, 1.0 - quantile)) + 1
        size = high - low
        start, end = offset + low - margin * size, offset + high + margin * size
        if end - start < min_side:
            centre = (start + end) / 2
            start, end = centre - min_side / 2, centre + min_side / 2
        shift = max(0.0, -start) - max(0.0, end - limit)
        return float(round(max(0.0, start + shift))), float(round(min(float(limit), end + shift)))

    fx0, fx1 = extent(region.sum(axis=0), left, width)
    fy0, fy1 = extent(region.sum(axis=1), top, height)
    return (fx0, fy0, fx1, fy1)


def place_boxes(mass: np.ndarray, side: int, num_boxes: int, min_share: float, *, fit: bool = False,
                min_side: int = 8) -> tuple[tuple[Box, ...], tuple[float, ...]]:
    """Non-overlapping boxes holding the most motion mass, each centred on the mass inside it.

    Args:
        mass: float ``[H, W]`` non-negative motion mass.
        side: side in pixels of the square search box (``<= min(H, W)``).
        num_boxes: most boxes to return.
        min_share: least share of the total mass a search box must hold.
        fit: fit each box to the motion around it (:func:`fit_box_to_motion`) instead of keeping the square.
        min_side: least side of a fitted box.

    Returns:
        The boxes ``(x0, y0, x1, y1)`` (best first) and their shares of the total mass.
    """
    height, width = mass.shape
    total = float(mass.sum())
    if total <= 0.0:
        return (), ()
    scores = box_sums(mass, side, side)
    boxes: list[Box] = []
    shares: list[float] = []
    for _ in range(num_boxes):
        flat = int(np.argmax(scores))
        y, x = divmod(flat, scores.shape[1])
        if scores[y, x] < max(min_share * total, 1e-12):
            break
        window = mass[y:y + side, x:x + side]
        inside = float(window.sum())
        centre_y = y + float((window.sum(axis=1) * np.arange(side)).sum()) / inside
        centre_x = x + float((window.sum(axis=0) * np.arange(side)).sum()) / inside
        y = int(np.clip(round(centre_y - side / 2 + 0.5), 0, height - side))
        x = int(np.clip(round(centre_x - side / 2 + 0.5), 0, width - side))
        box: Box = (float(x), float(y), float(x + side), float(y + side))
        if fit:
            box = fit_box_to_motion(mass, box, min_side=min_side)
        boxes.append(box)
        bx0, by0, bx1, by1 = (int(v) for v in box)
        shares.append(float(mass[by0:by1, bx0:bx1].sum()) / total)
        # Every top-left corner closer than one side in both directions would overlap the search box.
        scores[max(0, y - side + 1):y + side, max(0, x - side + 1):x + side] = -1.0
    return tuple(boxes), tuple(shares)


def mine_frame(previous: np.ndarray | None, current: np.ndarray, following: np.ndarray,
               options: MinerOptions) -> MinedFrame:
    """Decide whether ``current`` is a good query frame and where its moving patches are.

    Args:
        previous: float32 grey ``[H, W]`` ``options.frame_gap`` frames earlier, or ``None``.
        current: float32 grey ``[H, W]`` (see :func:`temporal_ssl.pretext.motion.grey_frames`).
        following: float32 grey ``[H, W]`` ``options.frame_gap`` frames later.
        options: thresholds and box settings.
    """
    shifts = camera_shifts(previous, current, following) if options.global_motion_check else ((0, 0), (0, 0))
    camera_moved = shifts != ((0, 0), (0, 0))
    energy = three_frame_energy(previous, current, following,
                                shifts=shifts if options.compensate_translation else ((0, 0), (0, 0)))
    moving = energy > options.motion_threshold
    interest = interest_mask(current, options.texture_threshold)
    num_interest = int(interest.sum())
    fraction = float((moving & interest).sum()) / num_interest if num_interest else 0.0
    if camera_moved and not options.compensate_translation:
        return MinedFrame(fraction, "camera_motion", (), ())
    if fraction < options.min_moving_fraction or not moving.any():
        return MinedFrame(fraction, "too_little_motion", (), ())
    if fraction > options.max_moving_fraction:
        return MinedFrame(fraction, "camera_motion", (), ())
    height, width = current.shape
    boxes, shares = place_boxes(np.where(moving, energy, 0.0), box_side(height, width, options.box_size),
                                options.num_boxes, options.min_box_share, fit=options.fit_box,
                                min_side=box_side(height, width, options.min_box_size))
    return MinedFrame(fraction, None if boxes else "no_box", boxes, shares)
