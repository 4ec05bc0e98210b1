"""A kernelised correlation filter (KCF) tracker in numpy FFTs, with scale search and a confidence.

Wang & Gupta track each mined patch with KCF (Henriques et al., TPAMI 2015) for 30 frames.
This is KCF with a Gaussian kernel on grey-level features, as in the original paper's raw-pixel variant:
a search window of ``1 + padding`` times the box is resampled to a fixed template grid (from a 2x pyramid
level so large boxes are not aliased), normalised to zero mean and unit variance (so the responses of
different sizes are comparable), multiplied by a cosine window, and correlated in the Fourier domain with the
learned filter; the response peak gives the shift (refined to sub-pixel), three sizes give the scale change
(DSST-style search), and the filter is updated with a running average of rate ``learning_rate``.

Two confidences are reported per frame. The peak-to-sidelobe ratio (PSR) of the response (Bolme et al., MOSSE,
CVPR 2010) — the peak minus the mean of the response outside a small area around it, over their standard
deviation — is low when the response is flat or ambiguous. But the search window includes background context,
and when the target vanishes that static context keeps a confident peak in place (measured: PSR stays far
above any useful threshold), so a second check compares the box's content with a running appearance model of
the target by normalised cross-correlation. A frame is flagged as lost when either falls below its threshold
or the box centre leaves the frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from temporal_ssl.errors import ConfigError
from temporal_ssl.types import Box


@dataclass(frozen=True, kw_only=True)
class TrackerOptions:
    """Settings of the correlation tracker (KCF's published values for raw-pixel features by default).

    Args:
        padding: the search window is ``1 + padding`` times the box on each side (KCF: 1.5; 1.0 here, as
            less static context keeps a loosely mined box on its mover — measured on generated videos).
        template_size: pixels of the template grid along the window's longer side (FFT size).
        learning_rate: weight of the newest frame in the running filter update (KCF grey: 0.075).
        kernel_sigma: bandwidth of the Gaussian kernel on normalised grey features (KCF grey: 0.2).
        label_sigma_factor: spread of the desired Gaussian response, relative to the box (KCF: 0.1).
        regularization: ridge-regression lambda (KCF: 1e-4).
        scale_step: ratio between the three sizes tried each frame; 1 disables the scale search.
        scale_penalty: factor applied to the response peak of a changed size, so size changes need evidence.
        min_psr: peak-to-sidelobe ratio below which the target is considered lost (a flat, ambiguous
            response).
        min_similarity: normalised cross-correlation between the box's content and the running appearance
            model below which the target is considered lost (it vanished or was occluded; the filter's context
            alone would still give a confident peak on the static background around it).
    """

    padding: float = 1.0
    template_size: int = 64
    learning_rate: float = 0.075
    kernel_sigma: float = 0.2
    label_sigma_factor: float = 0.1
    regularization: float = 1e-4
    scale_step: float = 1.05
    scale_penalty: float = 0.98
    min_psr: float = 8.0
    min_similarity: float = 0.45

    def __post_init__(self) -> None:
        where = "tracker option"
        if self.padding < 0:
            raise ConfigError(f"{where} 'padding' must be >= 0, got {self.padding}")
        if self.template_size < 16:
            raise ConfigError(f"{where} 'template_size' must be >= 16 pixels, got {self.template_size}")
        if not 0.0 < self.learning_rate <= 1.0:
            raise ConfigError(f"{where} 'learning_rate' must be in (0, 1], got {self.learning_rate}")
        if self.kernel_sigma <= 0 or self.label_sigma_factor <= 0 or self.regularization <= 0:
            raise ConfigError(f"{where}s 'kernel_sigma', 'label_sigma_factor' and 'regularization' must be "
                              "> 0, "
                              f"got {self.kernel_sigma}, {self.label_sigma_factor}, {self.regularization}")
        if self.scale_step < 1.0:
            raise ConfigError(f"{where} 'scale_step' must be >= 1 (1 disables scale search), "
                              f"got {self.scale_step}")
        if not 0.0 < self.scale_penalty <= 1.0:
            raise ConfigError(f"{where} 'scale_penalty' must be in (0, 1], got {self.scale_penalty}")
        if not -1.0 <= self.min_similarity <= 1.0:
            raise ConfigError(f"{where} 'min_similarity' must be within -1..1, got {self.min_similarity}")


@dataclass(frozen=True)
class TrackerStep:
    """The tracker's answer for one frame: the box and how sure it is."""

    box: Box
    psr: float
    similarity: float
    lost: bool


@dataclass(frozen=True)
class TrackResult:
    """A box tracked through a sequence of frames.

    Args:
        boxes: float64 ``[N, 4]`` boxes ``(x0, y0, x1, y1)`` for frames ``0 .. N-1`` of the input (row 0 is
            the initial box); when the target was lost and tracking stopped, the last row is the lost frame.
        psr: float64 ``[N - 1]`` peak-to-sidelobe ratio of frames ``1 .. N-1``.
        similarity: float64 ``[N - 1]`` appearance similarity (-1..1) of frames ``1 .. N-1``.
        lost_at: index of the first frame flagged as lost, or ``None`` when every frame was tracked.
    """

    boxes: np.ndarray
    psr: np.ndarray
    similarity: np.ndarray
    lost_at: int | None

    @property
    def score(self) -> float:
        """The weakest appearance similarity along the track (1 for a one-frame track): how surely the last
        box still shows what the first one did."""
        return float(self.similarity.min()) if self.similarity.size else 1.0


def sample_window(frame: np.ndarray, centre: tuple[float, float], size: tuple[float, float],
                  grid: tuple[int, int]) -> np.ndarray:
    """Bilinearly resample an axis-aligned window of ``frame`` onto a ``grid`` (outside, the border repeats).

    Only the part of the frame the window covers is read and converted to float. When the window is at least
    twice the grid, that part is first averaged over ``2**k`` square blocks (one pyramid level) so that large
    boxes are not aliased.

    Args:
        frame: grey ``[H, W]`` or multi-channel ``[C, H, W]`` (any real dtype, e.g. uint8).
        centre: ``(x, y)`` window centre in pixels (pixel ``i`` covers ``[i, i + 1)``).
        size: ``(width, height)`` of the window in pixels.
        grid: ``(rows, cols)`` of the output.

    Returns:
        float32 ``[rows, cols]`` or ``[C, rows, cols]``.
    """
    planes = frame if frame.ndim == 3 else frame[None]
    rows, cols = grid
    height, width = planes.shape[1:]
    step_x, step_y = size[0] / cols, size[1] / rows
    level = max(0, int(np.floor(np.log2(max(min(step_x, step_y), 1.0)))))
    while level > 0 and min(height, width) >> level < 2:
        level -= 1
    factor = 2**level
    xs = centre[0] + (np.arange(cols) + 0.5 - cols / 2) * step_x
    ys = centre[1] + (np.arange(rows) + 0.5 - rows / 2) * step_y
    # The frame part the samples (and their bilinear neighbours) read, on block boundaries.
    x_lo = int(np.clip(np.floor(xs[0]) - factor, 0, width - 1)) // factor * factor
    y_lo = int(np.clip(np.floor(ys[0]) - factor, 0, height - 1)) // factor * factor
    x_hi = min(width, int(np.ceil(xs[-1])) + 2 * factor)
    y_hi = min(height, int(np.ceil(ys[-1])) + 2 * factor)
    x_hi = x_lo + max(factor, (x_hi - x_lo) // factor * factor)
    y_hi = y_lo + max(factor, (y_hi - y_lo) // factor * factor)
    image = planes[:, y_lo:y_hi, x_lo:x_hi].astype(np.float32)
    if factor > 1:
        channels, part_h, part_w = image.shape
        image = image.reshape(channels, part_h // factor, factor, part_w // factor, factor).mean(axis=(2, 4))
    xs = np.clip((xs - x_lo) / factor - 0.5, 0, image.shape[2] - 1)
    ys = np.clip((ys - y_lo) / factor - 0.5, 0, image.shape[1] - 1)
    x0 = np.floor(xs).astype(np.intp)
    y0 = np.floor(ys).astype(np.intp)
    x1 = np.minimum(x0 + 1, image.shape[2] - 1)
    y1 = np.minimum(y0 + 1, image.shape[1] - 1)
    wx = (xs - x0).astype(np.float32)
    wy = (ys - y0).astype(np.float32)[:, None]
    top, bottom = image[:, y0], image[:, y1]
    top = top[:, :, x0] * (1 - wx) + top[:, :, x1] * wx
    bottom = bottom[:, :, x0] * (1 - wx) + bottom[:, :, x1] * wx
    out = top * (1 - wy) + bottom * wy
    return out if frame.ndim == 3 else out[0]


def peak_to_sidelobe_ratio(response: np.ndarray, peak: tuple[int, int], exclude: int) -> float:
    """(peak - mean) / std of ``response`` outside the wrapped ``2 * exclude + 1`` square around ``peak``."""
    rows = (peak[0] + np.arange(-exclude, exclude + 1)) % response.shape[0]
    cols = (peak[1] + np.arange(-exclude, exclude + 1)) % response.shape[1]
    mask = np.ones(response.shape, dtype=bool)
    mask[np.ix_(rows, cols)] = False
    sidelobe = response[mask]
    return float((response[peak] - sidelobe.mean()) / (sidelobe.std() + 1e-12))


def _subpixel(values: np.ndarray, index: int) -> float:
    """Parabolic refinement of a peak at ``index`` of a circular 1-D signal."""
    left, centre, right = values[index - 1], values[index], values[(index + 1) % len(values)]
    curvature = left - 2 * centre + right
    return 0.0 if curvature >= 0 else float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


class CorrelationTracker:
    """Tracks one box through frames given one at a time (state: filter, appearance, position, size)."""

    def __init__(self, frame: np.ndarray, box: Box, options: TrackerOptions | None = None) -> None:
        """Learn the filter and the appearance model from ``box`` in ``frame``.

        Args:
            frame: float32 grey ``[H, W]`` on the 0-255 scale.
            box: ``(x0, y0, x1, y1)`` in pixels of ``frame``, with positive width and height.
            options: tracker settings (defaults when ``None``).
        """
        self.options = options or TrackerOptions()
        x0, y0, x1, y1 = (float(v) for v in box)
        if not (x1 > x0 and y1 > y0):
            raise ValueError(f"tracker box must have positive width and height, got {box}")
        self.centre = ((x0 + x1) / 2, (y0 + y1) / 2)
        self.base_size = (x1 - x0, y1 - y0)
        self.scale = 1.0
        pad = 1.0 + self.options.padding
        self.base_window = (self.base_size[0] * pad, self.base_size[1] * pad)
        longer = max(self.base_window)
        cols = max(8, int(round(self.options.template_size * self.base_window[0] / longer / 2)) * 2)
        rows = max(8, int(round(self.options.template_size * self.base_window[1] / longer / 2)) * 2)
        self.grid = (rows, cols)
        self.cosine_window = np.outer(np.hanning(rows), np.hanning(cols)).astype(np.float32)
        sigma = self.options.label_sigma_factor * np.sqrt(cols * rows) / pad
        dy = np.fft.fftfreq(rows) * rows
        dx = np.fft.fftfreq(cols) * cols
        self.labels_f = np.fft.rfft2(np.exp(-0.5 * (dy[:, None] ** 2 + dx[None, :] ** 2) / sigma**2))
        self.exclude = max(2, int(round(min(rows, cols) * 5 / 64)))
        self.model_features_f = self._features_f(frame, self.centre, 1.0)
        self.model_alpha_f = self._train(self.model_features_f)
        self.model_appearance = self._appearance(frame)

    def _features_f(self, frame: np.ndarray, centre: tuple[float, float], scale: float,
                    ) -> np.ndarray:
        size = (self.base_window[0] * scale, self.base_window[1] * scale)
        patch = sample_window(frame, centre, size, self.grid)
        if patch.ndim == 2:
            patch = patch[None]
        patch -= patch.mean(axis=(1, 2), keepdims=True)
        # One scale for all channels keeps their contrast ratios; +1 grey level keeps a flat window from
        # blowing up noise.
        patch *= 1.0 / (patch.std() + 1.0)
        return np.fft.rfft2(patch * self.cosine_window)

    def _appearance(self, frame: np.ndarray, ) -> np.ndarray:
        """The box's content on a 16 x 16 grid, zero-mean and unit-norm (for normalised cross-correlation)."""
        size = (self.base_size[0] * self.scale, self.base_size[1] * self.scale)
        patch = sample_window(frame, self.centre, size, (16, 16))
        patch = (patch - patch.mean(axis=(-2, -1), keepdims=True)).ravel()
        return patch / (np.linalg.norm(patch) + 1e-6)

    def _kernel_f(self, a_f: np.ndarray, b_f: np.ndarray) -> np.ndarray:
        """Fourier transform of the Gaussian kernel between every cyclic shift of ``a`` and ``b``."""
        count = self.grid[0] * self.grid[1]
        cross = np.fft.irfft2((a_f * np.conj(b_f)).sum(axis=0), s=self.grid)
        distance = np.maximum(self._energy(a_f) + self._energy(b_f) - 2.0 * cross, 0.0) / count
        return np.fft.rfft2(np.exp(-distance / self.options.kernel_sigma**2))

    def _energy(self, spectrum: np.ndarray) -> float:
        """``sum(x ** 2)`` of the real signal whose ``rfft2`` is ``spectrum`` (Parseval; the half-spectrum
        columns that stand for two conjugate columns count twice)."""
        power = spectrum.real**2 + spectrum.imag**2
        twice = power[..., 1:self.grid[1] // 2].sum() if self.grid[1] % 2 == 0 else power[..., 1:].sum()
        return float(power.sum() + twice) / (self.grid[0] * self.grid[1])

    def _train(self, features_f: np.ndarray) -> np.ndarray:
        return self.labels_f / (self._kernel_f(features_f, features_f) + self.options.regularization)

    @property
    def box(self) -> Box:
        """The current box ``(x0, y0, x1, y1)``."""
        width, height = self.base_size[0] * self.scale, self.base_size[1] * self.scale
        cx, cy = self.centre
        return (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)

    def _respond(self, frame: np.ndarray, scale: float, ) -> np.ndarray:
        features_f = self._features_f(frame, self.centre, scale)
        return np.fft.irfft2(self.model_alpha_f * self._kernel_f(features_f, self.model_features_f),
                             s=self.grid)

    def update(self, frame: np.ndarray) -> TrackerStep:
        """Find the target in the next frame, move the box there and, unless it is lost, update the models.

        Args:
            frame: float32 grey ``[H, W]`` of the same size as the first frame.
        """
        step = self.options.scale_step
        scales = [self.scale] if step == 1.0 else [self.scale, self.scale / step, self.scale * step]
        responses = [self._respond(frame, scale) for scale in scales]
        penalty = self.options.scale_penalty
        peaks = [float(r.max()) * (1.0 if i == 0 else penalty) for i, r in enumerate(responses)]
        best = int(np.argmax(peaks))
        response, scale = responses[best], scales[best]
        rows, cols = self.grid
        py, px = (int(v) for v in np.unravel_index(int(np.argmax(response)), response.shape))
        psr = peak_to_sidelobe_ratio(response, (py, px), self.exclude)
        dy = (py if py <= rows // 2 else py - rows) + _subpixel(response[:, px], py)
        dx = (px if px <= cols // 2 else px - cols) + _subpixel(response[py, :], px)
        self.centre = (self.centre[0] + dx * self.base_window[0] * scale / cols,
                       self.centre[1] + dy * self.base_window[1] * scale / rows)
        self.scale = scale
        appearance = self._appearance(frame)
        similarity = float(appearance @ self.model_appearance)
        height, width = frame.shape[-2:]
        outside = not (0.0 <= self.centre[0] < width and 0.0 <= self.centre[1] < height)
        lost = outside or psr < self.options.min_psr or similarity < self.options.min_similarity
        if not lost:
            rate = self.options.learning_rate
            features_f = self._features_f(frame, self.centre, self.scale)
            self.model_alpha_f = (1 - rate) * self.model_alpha_f + rate * self._train(features_f)
            self.model_features_f = (1 - rate) * self.model_features_f + rate * features_f
            mixed = (1 - rate) * self.model_appearance + rate * appearance
            self.model_appearance = mixed / (np.linalg.norm(mixed) + 1e-12)
        return TrackerStep(self.box, psr, similarity, lost)


def track_forward(frames: Sequence[np.ndarray] | np.ndarray, box: Box, options: TrackerOptions | None = None,
                  *, stop_when_lost: bool = True) -> TrackResult:
    """Track ``box`` from ``frames[0]`` through the following frames.

    Args:
        frames: float32 grey frames ``[N, H, W]`` (or a sequence of ``[H, W]``), ``N >= 1``.
        box: ``(x0, y0, x1, y1)`` in ``frames[0]``.
        options: tracker settings.
        stop_when_lost: stop at the first lost frame (it is still returned, flagged by ``lost_at``);
            otherwise keep tracking (without updating the models on lost frames) and report the first loss.
    """
    if len(frames) < 1:
        raise ValueError("track_forward needs at least one frame")
    tracker = CorrelationTracker(frames[0], box, options)
    boxes = [tracker.box]
    psrs: list[float] = []
    similarities: list[float] = []
    lost_at: int | None = None
    for index in range(1, len(frames)):
        step = tracker.update(frames[index])
        boxes.append(step.box)
        psrs.append(step.psr)
        similarities.append(step.similarity)
        if step.lost and lost_at is None:
            lost_at = index
            if stop_when_lost:
                break
    return TrackResult(np.asarray(boxes, dtype=np.float64), np.asarray(psrs, dtype=np.float64),
                       np.asarray(similarities, dtype=np.float64), lost_at)
