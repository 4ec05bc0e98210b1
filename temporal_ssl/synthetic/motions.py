"""Motion classes in time-reversed pairs, and the speed profiles that give the corpus an arrow of time.

Each class moves the scene's *principal* object one way; its partner moves it the opposite way (left/right,
clockwise/counter-clockwise, grow/shrink ...). Three rules keep the labels a question about time:

* **Arrow of time.** The principal always *accelerates* (``accelerating`` progress: speed rises linearly from
  ``start_speed_fraction`` of its final value), so "move left" played backwards is "move right while slowing
  down", which no class shows. With constant speed the corpus would be exactly reversible and an
  arrow-of-time pretext could not learn anything (docs/synthetic_corpus.md).
* **Motion energy stays level.** The first distractor is the principal's *twin*: it performs a motion of
  the same kind, drawn from the same distributions, played backwards, so it slows down exactly as the
  principal speeds up. The principal's and the twin's motion statistics are exchangeable, so the summed
  motion of a scene does not ramp up or down, not only on average but in distribution; otherwise a pretext
  could read the arrow of time from global motion energy without looking at any object. Further distractors
  drift at constant speed, which looks the same both ways in time. (The twin's class sense is random, so it
  carries no label; the scene tells principal from twin by colour, see ``scene``.)
* **One frame tells nothing.** A monotone coordinate (position along the class axis, log-size, orbit radius)
  is placed so that its value at a uniformly drawn reference frame ``t'`` is symmetric: the coordinate at
  frame ``t`` is ``z + D * (u[t] - u[t'])``. For a frame ``t`` drawn uniformly from the video,
  ``u[t] - u[t']`` is a difference of two independent draws, hence symmetric, so a class and its partner
  have the same single-frame distribution. (An unordered *bag* of frames still shows that the object lingers
  where it moves slowly; the start speed fraction trades that leak against the strength of the arrow of time.)

Screen coordinates are used throughout: x to the right, y *down*, angles in radians growing *clockwise* on
screen. Positions and radii are in pixels of the world canvas, which is camera 0's image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

MotionKind = Literal["translate", "rotate", "scale", "orbit", "spiral"]
SpeedProfile = Literal["accelerating", "decelerating", "constant"]

# Centre positions stay within this fraction of the frame from each border (objects may be cut a little).
CENTRE_MARGIN_FRACTION = 0.12
# Principal translation: distance travelled over the video, as a fraction of the frame side along the axis.
TRANSLATE_DISTANCE_FRACTION = (0.28, 0.34)
# Principal translation direction: the class axis turned by up to this many degrees either way.
TRANSLATE_JITTER_DEGREES = 15.0
# Total rotation of Rotate* classes (radians).
ROTATE_ANGLE = (1.4 * np.pi, 1.9 * np.pi)
# Natural-log size change of Grow/Shrink and radius change of Spiral* over the video.
SCALE_LOG_CHANGE = (0.55, 0.75)
# Orbit radius (fraction of the shorter frame side) and swept angle (radians) of Orbit*/Spiral*.
ORBIT_RADIUS_FRACTION = (0.13, 0.17)
ORBIT_ANGLE = (0.55 * np.pi, 0.75 * np.pi)
# Spiral*: reference orbit radius (fraction of the shorter side) and natural-log radius change.
SPIRAL_RADIUS_FRACTION = (0.12, 0.16)
SPIRAL_LOG_CHANGE = (0.5, 0.65)
# Constant-speed drift of the second and further distractors, as a fraction of the shorter frame side.
DRIFT_DISTANCE_FRACTION = (0.08, 0.2)


@dataclass(frozen=True)
class MotionClass:
    """One action class: which motion the principal object performs and in which sense.

    Args:
        name: CamelCase class name as in UCF101 (``MoveLeft``).
        kind: the motion family.
        sign: ``+1`` or ``-1``: right/down for ``translate`` (along ``axis``), clockwise for ``rotate`` and
            ``orbit``, growing for ``scale``, outward for ``spiral``.
        axis: ``"x"`` or ``"y"`` for ``translate``, else ``None``.
        partner: the name of the class that is this one's time-reversed motion (apart from the speed profile).
    """

    name: str
    kind: MotionKind
    sign: int
    partner: str
    axis: Literal["x", "y"] | None = None


MOTION_CLASSES: tuple[MotionClass, ...] = (
    MotionClass("MoveLeft", "translate", -1, "MoveRight", axis="x"),
    MotionClass("MoveRight", "translate", +1, "MoveLeft", axis="x"),
    MotionClass("MoveUp", "translate", -1, "MoveDown", axis="y"),
    MotionClass("MoveDown", "translate", +1, "MoveUp", axis="y"),
    MotionClass("RotateClockwise", "rotate", +1, "RotateCounterclockwise"),
    MotionClass("RotateCounterclockwise", "rotate", -1, "RotateClockwise"),
    MotionClass("Grow", "scale", +1, "Shrink"),
    MotionClass("Shrink", "scale", -1, "Grow"),
    MotionClass("OrbitClockwise", "orbit", +1, "OrbitCounterclockwise"),
    MotionClass("OrbitCounterclockwise", "orbit", -1, "OrbitClockwise"),
    MotionClass("SpiralOut", "spiral", +1, "SpiralIn"),
    MotionClass("SpiralIn", "spiral", -1, "SpiralOut"),
)
"""Every class, partners adjacent, so the first ``2k`` classes are ``k`` complete reversed pairs."""

MAX_CLASSES = len(MOTION_CLASSES)


def class_names(num_classes: int) -> tuple[str, ...]:
    """The names of the first ``num_classes`` classes (an even number: whole reversed pairs)."""
    if num_classes < 2 or num_classes > MAX_CLASSES or num_classes % 2:
        raise ValueError(
            f"num_classes = {num_classes} is not possible: choose an even number from 2 to {MAX_CLASSES} "
            "(classes come in time-reversed pairs)"
        )
    return tuple(c.name for c in MOTION_CLASSES[:num_classes])


@dataclass(frozen=True)
class Pose:
    """An object's state in every frame, in world (camera-0) pixels.

    Args:
        centre: float64 ``[T, 2]`` (x, y).
        angle: float64 ``[T]`` orientation in radians, growing clockwise on screen.
        radius: float64 ``[T]`` size: the object's unit shape is multiplied by this.
        pivot: float64 ``[2]``, the point an orbit or spiral goes round; ``None`` for other motions.
    """

    centre: np.ndarray
    angle: np.ndarray
    radius: np.ndarray
    pivot: np.ndarray | None = None

    @property
    def num_frames(self) -> int:
        return int(self.angle.shape[0])

    def window(self, start: int, num_frames: int) -> Pose:
        """Frames ``start .. start + num_frames - 1`` (what a camera that started late sees)."""
        stop = start + num_frames
        return Pose(self.centre[start:stop], self.angle[start:stop], self.radius[start:stop], self.pivot)


def progress(num_frames: int, profile: SpeedProfile, start_speed_fraction: float) -> np.ndarray:
    """Normalised distance covered by frame ``t``: float64 ``[T]`` from 0 to 1.

    ``accelerating``: constant acceleration, speed growing linearly from ``start_speed_fraction`` of the final
    speed (0 = from rest). ``decelerating``: the same played backwards (friction bringing a pushed object to
    rest). ``constant``: uniform speed.
    """
    if num_frames < 2:
        return np.zeros(num_frames)
    if not 0.0 <= start_speed_fraction < 1.0:
        raise ValueError(f"start_speed_fraction must be in [0, 1), got {start_speed_fraction}")
    steps = num_frames - 1
    if profile == "constant":
        speed = np.ones(steps)
    else:
        speed = start_speed_fraction + (1.0 - start_speed_fraction) * (np.arange(steps) + 0.5) / steps
    covered = np.concatenate([[0.0], np.cumsum(speed)])
    covered /= covered[-1]
    if profile == "decelerating":
        covered = 1.0 - covered[::-1]
    return covered


def _symmetric_offsets(covered: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``covered - covered[t']`` for a uniformly drawn reference frame ``t'`` (see the module docstring)."""
    return covered - covered[rng.integers(covered.shape[0])]


def principal_pose(
    motion: MotionClass,
    rng: np.random.Generator,
    *,
    num_frames: int,
    height: int,
    width: int,
    base_radius: float,
    start_speed_fraction: float,
) -> Pose:
    """The principal object's accelerating motion for class ``motion`` (a pure function of ``rng``)."""
    covered = progress(num_frames, "accelerating", start_speed_fraction)
    side = float(min(height, width))
    lo = CENTRE_MARGIN_FRACTION * np.array([width, height])
    hi = np.array([width, height]) - lo
    angle0 = rng.uniform(0.0, 2 * np.pi)
    radius = np.full(num_frames, base_radius)
    if motion.kind == "translate":
        length = width if motion.axis == "x" else height
        distance = rng.uniform(*TRANSLATE_DISTANCE_FRACTION) * length
        jitter = np.deg2rad(rng.uniform(-TRANSLATE_JITTER_DEGREES, TRANSLATE_JITTER_DEGREES))
        along = np.array([1.0, 0.0]) if motion.axis == "x" else np.array([0.0, 1.0])
        across = np.array([-along[1], along[0]])
        direction = motion.sign * (np.cos(jitter) * along + np.sin(jitter) * across)
        reach = distance * np.abs(direction)  # worst-case excursion each side of the reference position
        reference = rng.uniform(lo + reach, hi - reach)
        centre = reference + distance * _symmetric_offsets(covered, rng)[:, None] * direction
        return Pose(centre, np.full(num_frames, angle0), radius)
    if motion.kind == "rotate":
        centre = np.broadcast_to(rng.uniform(lo + 0.5 * base_radius, hi - 0.5 * base_radius), (num_frames, 2))
        angle = angle0 + motion.sign * rng.uniform(*ROTATE_ANGLE) * covered
        return Pose(np.array(centre), angle, radius)
    if motion.kind == "scale":
        change = rng.uniform(*SCALE_LOG_CHANGE)
        # The reference size is drawn so that sizes stay within base_radius * exp(+-change).
        radius = base_radius * np.exp(motion.sign * change * _symmetric_offsets(covered, rng))
        centre = np.broadcast_to(rng.uniform(lo, hi), (num_frames, 2))
        return Pose(np.array(centre), np.full(num_frames, angle0), radius)
    # orbit and spiral: the object's centre goes round a random point; its orientation stays fixed.
    if motion.kind == "orbit":
        sense = motion.sign
        orbit = np.full(num_frames, rng.uniform(*ORBIT_RADIUS_FRACTION) * side)
        reach = float(orbit[0])
    else:
        sense = int(rng.choice([-1, 1]))  # a spiral's sense of rotation is not part of its class
        change = rng.uniform(*SPIRAL_LOG_CHANGE)
        reference = rng.uniform(*SPIRAL_RADIUS_FRACTION) * side
        orbit = reference * np.exp(motion.sign * change * _symmetric_offsets(covered, rng))
        reach = reference * np.exp(SPIRAL_LOG_CHANGE[1])  # the largest radius any spiral can reach
    pivot = rng.uniform(lo + reach, hi - reach)
    phase = rng.uniform(0.0, 2 * np.pi) + sense * rng.uniform(*ORBIT_ANGLE) * covered
    centre = pivot + orbit[:, None] * np.stack([np.cos(phase), np.sin(phase)], axis=1)
    return Pose(centre, np.full(num_frames, angle0), radius, pivot)


def twin_pose(
    motion: MotionClass,
    rng: np.random.Generator,
    *,
    num_frames: int,
    height: int,
    width: int,
    base_radius: float,
    start_speed_fraction: float,
) -> Pose:
    """The principal's twin: a random class of the same kind as ``motion``, played backwards (slowing)."""
    siblings = [c for c in MOTION_CLASSES if c.kind == motion.kind]
    sibling = siblings[int(rng.integers(len(siblings)))]
    pose = principal_pose(sibling, rng, num_frames=num_frames, height=height, width=width,
                          base_radius=base_radius, start_speed_fraction=start_speed_fraction)
    return Pose(pose.centre[::-1].copy(), pose.angle[::-1].copy(), pose.radius[::-1].copy(), pose.pivot)


def drift_pose(
    rng: np.random.Generator, *, num_frames: int, height: int, width: int, base_radius: float
) -> Pose:
    """A distractor drifting at constant speed in a uniformly random direction (alike both ways in time)."""
    covered = progress(num_frames, "constant", 0.0)
    distance = rng.uniform(*DRIFT_DISTANCE_FRACTION) * float(min(height, width))
    heading = rng.uniform(0.0, 2 * np.pi)
    step = distance * np.array([np.cos(heading), np.sin(heading)])
    lo = CENTRE_MARGIN_FRACTION * np.array([width, height])
    hi = np.array([width, height]) - lo
    start_lo = np.maximum(lo, lo - step)
    start_hi = np.minimum(hi, hi - step)
    start = rng.uniform(np.minimum(start_lo, start_hi), np.maximum(start_lo, start_hi))
    centre = start + covered[:, None] * step
    angle = np.full(num_frames, rng.uniform(0.0, 2 * np.pi))
    return Pose(centre, angle, np.full(num_frames, base_radius))
