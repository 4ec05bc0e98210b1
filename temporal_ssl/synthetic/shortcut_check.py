"""Can the direction of time be read from trivial per-frame statistics? A check for any video corpus.

A temporal pretext (arrow of time, frame or clip order) should have to understand motion. If a linear model on
a handful of per-frame numbers — brightness, contrast, sharpness, border brightness and frame-difference
energy, with their changes over time — tells forward clips from reversed ones, the pretext can learn that
shortcut instead: lossy codecs leak it (a keyframe is sharper than the frames after it; rate control drifts),
so do fades, brightness drifts and letterbox borders (docs/synthetic_corpus.md). This module trains that
linear model on held-out data and reports its accuracy: near 50% is clean, anything clearly above is a
shortcut to remove (lossless or all-intra encoding, cropping borders, colour augmentation) before trusting an
order pretext.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import av
import numpy as np
from tqdm import tqdm

logger = logging.getLogger(__name__)

FRAME_STATISTICS = ("brightness", "contrast", "sharpness", "border")
"""Statistics of each frame; ``motion`` (mean absolute difference to the next frame) comes per frame pair."""
STATISTICS = FRAME_STATISTICS + ("motion",)
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class ShortcutReport:
    """How well trivial statistics tell forward from reversed clips, on clips held out from training.

    Args:
        accuracy: held-out accuracy over forward and reversed clips (chance is 0.5).
        interval: 95% Wilson confidence interval of ``accuracy``.
        statistic_accuracy: held-out accuracy of a model that sees only one statistic (which one leaks).
        num_train_clips, num_test_clips: clips used to fit and to measure (each seen forward and reversed).
        clip_frames: frames per clip.
        tolerance: ``leaks`` is true when the lower end of ``interval`` exceeds ``0.5 + tolerance``.
        skipped: videos that could not be decoded or were shorter than a clip.
    """

    accuracy: float
    interval: tuple[float, float]
    statistic_accuracy: dict[str, float]
    num_train_clips: int
    num_test_clips: int
    clip_frames: int
    tolerance: float = 0.05
    skipped: tuple[str, ...] = field(default=())

    @property
    def leaks(self) -> bool:
        """Whether the statistics reveal the direction of time beyond ``tolerance``."""
        return self.interval[0] > 0.5 + self.tolerance

    def summary(self) -> str:
        """A few readable lines: the verdict, the accuracy and which statistic carries the leak."""
        verdict = "LEAKS the direction of time" if self.leaks else "no shortcut found"
        per_statistic = ", ".join(f"{k} {v:.1%}" for k, v in self.statistic_accuracy.items())
        lines = [
            f"forward-vs-reversed from per-frame statistics: {verdict}",
            f"  held-out accuracy {self.accuracy:.1%} "
            f"(95% CI {self.interval[0]:.1%}-{self.interval[1]:.1%}); chance 50%",
            f"  per statistic: {per_statistic}",
            f"  {self.num_train_clips} training and {self.num_test_clips} held-out clips of "
            f"{self.clip_frames} frames" + (f"; {len(self.skipped)} videos skipped" if self.skipped else ""),
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable form."""
        return {"accuracy": self.accuracy, "interval": list(self.interval),
                "statistic_accuracy": dict(self.statistic_accuracy), "num_train_clips": self.num_train_clips,
                "num_test_clips": self.num_test_clips, "clip_frames": self.clip_frames,
                "tolerance": self.tolerance, "leaks": self.leaks, "skipped": list(self.skipped)}


def frame_statistics(frames: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame statistics of one clip.

    Args:
        frames: uint8 ``[T, H, W, C]`` (numpy, as decoded) or ``[T, C, H, W]`` (a ``temporal_ssl.io`` reader's
            torch tensor), ``C`` 1 or 3.

    Returns:
        float64 ``[T, 4]`` brightness, contrast, sharpness and border brightness of each frame, and float64
        ``[T - 1]`` motion energy between consecutive frames (all in grey levels).
    """
    luma = _luma(frames)
    brightness = luma.mean(axis=(1, 2))
    contrast = luma.std(axis=(1, 2))
    laplacian = (4 * luma[:, 1:-1, 1:-1] - luma[:, :-2, 1:-1] - luma[:, 2:, 1:-1] - luma[:, 1:-1, :-2]
                 - luma[:, 1:-1, 2:])
    sharpness = np.sqrt((laplacian**2).mean(axis=(1, 2)))
    ring = np.ones(luma.shape[1:], dtype=bool)
    ring[2:-2, 2:-2] = False
    border = luma[:, ring].mean(axis=1) - brightness
    motion = np.abs(np.diff(luma, axis=0)).mean(axis=(1, 2))
    per_frame = np.stack([brightness, contrast, sharpness, border], axis=1).astype(np.float64)
    return per_frame, motion.astype(np.float64)


def _luma(frames: Any) -> np.ndarray:
    # Duck-typed so that torch tensors work without importing torch here (generator workers stay light).
    array = frames.detach().cpu().numpy() if hasattr(frames, "detach") else np.asarray(frames)
    if array.ndim != 4:
        raise ValueError(f"a clip must be [T, H, W, C] or [T, C, H, W], got shape {array.shape}")
    if array.shape[1] in (1, 3) and array.shape[-1] not in (1, 3):
        array = array.transpose(0, 2, 3, 1)
    if array.shape[0] < 3 or min(array.shape[1:3]) < 5:
        raise ValueError(f"a clip needs at least 3 frames of 5x5 pixels, got shape {array.shape}")
    array = array.astype(np.float32)
    return array[..., 0] if array.shape[-1] == 1 else array @ _LUMA


def _features(per_frame: np.ndarray, motion: np.ndarray, statistics: Sequence[str]) -> np.ndarray:
    """Each statistic's time series (minus its clip mean, which reversal does not change) and its changes."""
    columns = {name: per_frame[:, i] for i, name in enumerate(FRAME_STATISTICS)}
    columns["motion"] = motion
    parts = []
    for name in statistics:
        series = columns[name] - columns[name].mean()
        parts += [series, np.diff(series)]
    return np.concatenate(parts)


def check_time_shortcuts(
    clips: Sequence[Any],
    *,
    groups: Sequence[int] | None = None,
    test_fraction: float = 0.5,
    seed: int = 0,
    weight_decay: float = 1e-2,
    tolerance: float = 0.05,
) -> ShortcutReport:
    """Fit a logistic regression telling forward from reversed clips by frame statistics; test it held out.

    Args:
        clips: uint8 clips (numpy arrays or torch tensors), all with the same number of frames (see
            :func:`frame_statistics` for layouts).
        groups: clips with equal group id (e.g. windows of one video) stay on the same side of the split;
            default: every clip is its own group.
        test_fraction: share of groups held out for measuring.
        seed: seeds the split.
        weight_decay: L2 penalty on the standardised features.
        tolerance: margin above chance that counts as a leak (see :attr:`ShortcutReport.leaks`).
    """
    if len(clips) < 4:
        raise ValueError(f"need at least 4 clips to fit and test a detector, got {len(clips)}")
    statistics = [frame_statistics(clip) for clip in clips]
    lengths = {s[0].shape[0] for s in statistics}
    if len(lengths) != 1:
        raise ValueError(f"all clips must have the same number of frames, got lengths {sorted(lengths)}")
    group_ids = np.arange(len(clips)) if groups is None else np.asarray(groups)
    if group_ids.shape != (len(clips),):
        raise ValueError(f"groups has {group_ids.shape[0]} entries for {len(clips)} clips")
    unique = np.unique(group_ids)
    rng = np.random.default_rng(seed)
    held_out = rng.permutation(unique)[: max(1, round(test_fraction * len(unique)))]
    is_test = np.isin(group_ids, held_out)
    if is_test.all() or not is_test.any():
        raise ValueError("the split left no clips to fit or to test: pass more clips or groups")

    def accuracy_with(names: Sequence[str]) -> float:
        forward = np.stack([_features(p, m, names) for p, m in statistics])
        backward = np.stack([_features(p[::-1], m[::-1], names) for p, m in statistics])
        return _fit_and_score(forward, backward, is_test, weight_decay)

    accuracy = accuracy_with(STATISTICS)
    per_statistic = {name: accuracy_with([name]) for name in STATISTICS}
    num_test = int(is_test.sum())
    return ShortcutReport(
        accuracy=accuracy, interval=_wilson_interval(accuracy, 2 * num_test),
        statistic_accuracy=per_statistic, num_train_clips=len(clips) - num_test, num_test_clips=num_test,
        clip_frames=lengths.pop(), tolerance=tolerance,
    )


def _fit_and_score(
    forward: np.ndarray, backward: np.ndarray, is_test: np.ndarray, weight_decay: float
) -> float:
    """Held-out accuracy of an L2 logistic regression (forward = 1, reversed = 0).

    Every training clip is seen both ways, so the fitted score is odd under reversal (``score(reversed) =
    -score(forward)``): the accuracy is also the rate at which the model ranks a clip above its reversal.
    """
    train = np.concatenate([forward[~is_test], backward[~is_test]])
    labels = np.concatenate([np.ones((~is_test).sum()), np.zeros((~is_test).sum())])
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-6
    weight = _logistic_regression(np.hstack([(train - mean) / std, np.ones((len(train), 1))]), labels,
                                  weight_decay)

    def score(features: np.ndarray) -> np.ndarray:
        return np.hstack([(features - mean) / std, np.ones((len(features), 1))]) @ weight

    forward_score, backward_score = score(forward[is_test]), score(backward[is_test])
    correct = (forward_score > 0).sum() + (backward_score <= 0).sum()
    return float(correct / (2 * is_test.sum()))


def _logistic_regression(x: np.ndarray, y: np.ndarray, weight_decay: float, steps: int = 50) -> np.ndarray:
    """Newton's method on the mean log-loss plus ``weight_decay * |w|^2`` (the last column, a bias, is free).
    """
    penalty = np.full(x.shape[1], 2 * weight_decay)
    penalty[-1] = 1e-9
    weight = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ weight, -30, 30)))
        gradient = x.T @ (p - y) / len(y) + penalty * weight
        hessian = (x * (p * (1 - p))[:, None]).T @ x / len(y) + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        weight -= step
        if np.abs(step).max() < 1e-8:
            break
    return weight


def _wilson_interval(accuracy: float, count: int, z: float = 1.96) -> tuple[float, float]:
    centre = (accuracy + z * z / (2 * count)) / (1 + z * z / count)
    spread = math.sqrt(accuracy * (1 - accuracy) / count + z * z / (4 * count * count))
    half = z * spread / (1 + z * z / count)
    return max(0.0, centre - half), min(1.0, centre + half)


def check_video_time_shortcuts(
    videos: Sequence[str | Path],
    *,
    clip_frames: int = 16,
    clips_per_video: int = 1,
    max_side: int = 128,
    seed: int = 0,
    tolerance: float = 0.05,
    progress: bool = True,
) -> ShortcutReport:
    """Decode ``clips_per_video`` random windows of ``clip_frames`` frames per video and run the check.

    Windows of one video stay on one side of the train/test split. Videos that fail to decode or are shorter
    than a clip are skipped, counted and listed in the report.

    Args:
        videos: video files (any container/codec FFmpeg reads).
        clip_frames: frames per window.
        clips_per_video: windows drawn per video.
        max_side: frames are shrunk (keeping their aspect) so that their longer side is at most this.
        seed: seeds the window positions and the split.
        tolerance: see :func:`check_time_shortcuts`.
        progress: show a progress bar while decoding.
    """
    rng = np.random.default_rng(seed)
    clips, groups, skipped = [], [], []
    for index, path in enumerate(tqdm(videos, desc="decoding clips", unit="video", disable=not progress)):
        try:
            windows = read_windows(path, clip_frames, clips_per_video, rng, max_side)
        except (av.FFmpegError, OSError, ValueError) as error:
            logger.warning("skipping '%s': %s", path, error)
            skipped.append(str(path))
            continue
        clips += windows
        groups += [index] * len(windows)
    if len(set(groups)) < 4:
        raise ValueError(f"only {len(set(groups))} of {len(videos)} videos gave a clip of {clip_frames} "
                         "frames; pass more videos or a smaller clip_frames")
    report = check_time_shortcuts(clips, groups=groups, seed=seed, tolerance=tolerance)
    return dataclasses.replace(report, skipped=tuple(skipped))


def read_windows(
    path: str | Path, clip_frames: int, count: int, rng: np.random.Generator, max_side: int
) -> list[np.ndarray]:
    """``count`` random windows of ``clip_frames`` consecutive frames: uint8 ``[T, H, W, 3]`` each.

    Decodes sequentially up to the last window (enough for the short clips of action datasets) and converts
    only the frames a window needs.
    """
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        total = stream.frames  # the header's count; 0 when the container does not say
        starts = np.sort(rng.integers(0, max(total - clip_frames, 0) + 1, size=count))
        wanted = {int(s) + k for s in starts for k in range(clip_frames)}
        kept: dict[int, np.ndarray] = {}
        for index, frame in enumerate(container.decode(stream)):
            if index in wanted:
                scale = min(1.0, max_side / max(frame.width, frame.height))
                width, height = max(2, round(frame.width * scale)), max(2, round(frame.height * scale))
                kept[index] = frame.reformat(width=width, height=height, format="rgb24").to_ndarray()
            if index >= max(wanted):
                break
    complete = [np.stack([kept[int(s) + k] for k in range(clip_frames)]) for s in starts
                if all(int(s) + k in kept for k in range(clip_frames))]
    if not complete:
        raise ValueError(f"it has fewer than {clip_frames} decodable frames")
    return complete
