"""Motion energy from frame differences, and where a video moves: shared by the order and tracking families.

Shuffle & Learn samples tuples "from high-motion windows" and Wang & Gupta mine patches where things move.
Both need a cheap motion measure: the mean absolute grey-level difference
between consecutive frames. Per pixel it locates motion inside a frame (tracking); averaged per frame it is
the profile the probe stores in ``VideoMetadata.motion`` (frame ``i`` holds the difference to frame ``i - 1``,
frame 0 holds 0), which :func:`motion_weighted_starts` turns into a window choice (order pretexts).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

ArrayLike = torch.Tensor | np.ndarray

# ITU-R BT.601 luma weights, the grey level FFmpeg's gray filter and the probe use.
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def grey_frames(frames: ArrayLike) -> np.ndarray:
    """Luma of each frame as float32 on the 0-255 scale.

    Args:
        frames: uint8 or float ``[T, C, H, W]`` with ``C`` 1 (grey) or 3 (RGB), values on the 0-255 scale.

    Returns:
        float32 ``[T, H, W]``.
    """
    array = frames.detach().cpu().numpy() if isinstance(frames, torch.Tensor) else np.asarray(frames)
    if array.ndim != 4 or array.shape[1] not in (1, 3):
        raise ValueError(f"frames must be [T, C, H, W] with C = 1 or 3, got shape {tuple(array.shape)}")
    if array.shape[1] == 1:
        return array[:, 0].astype(np.float32, copy=False)
    # einsum over C avoids three full-size temporaries; uint8 is promoted to float32 by the weights.
    return np.einsum("tchw,c->thw", array, _LUMA, dtype=np.float32, casting="unsafe")


def frame_difference_energy(frames: ArrayLike) -> np.ndarray:
    """Per-pixel motion energy: absolute grey-level difference between consecutive frames.

    Args:
        frames: uint8 or float ``[T, C, H, W]`` (``T >= 2``), values on the 0-255 scale.

    Returns:
        float32 ``[T - 1, H, W]``; entry ``t`` is ``|grey(frames[t + 1]) - grey(frames[t])|``.
    """
    grey = grey_frames(frames)
    if grey.shape[0] < 2:
        raise ValueError(f"motion energy needs at least 2 frames, got {grey.shape[0]}")
    return np.abs(np.diff(grey, axis=0))


def motion_profile(frames: ArrayLike) -> np.ndarray:
    """Per-frame motion in the probe's convention: mean energy to the previous frame, frame 0 holds 0.

    Args:
        frames: uint8 or float ``[T, C, H, W]``, values on the 0-255 scale.

    Returns:
        float64 ``[T]``, comparable with ``VideoMetadata.motion`` when the frames are consecutive.
    """
    grey = grey_frames(frames)
    profile = np.zeros(grey.shape[0], dtype=np.float64)
    if grey.shape[0] > 1:
        profile[1:] = np.abs(np.diff(grey, axis=0)).mean(axis=(1, 2))
    return profile


def window_motion_scores(profile: Sequence[float] | np.ndarray, window_len: int) -> np.ndarray:
    """Motion inside every window of ``window_len`` consecutive frames.

    The window starting at ``s`` covers frames ``s .. s + window_len - 1``; its score is the mean of
    ``profile[s + 1 .. s + window_len - 1]``, the differences between frames that are both inside the window
    (the difference that enters the window at ``s`` is excluded).

    Args:
        profile: per-frame motion ``[L]`` (``VideoMetadata.motion`` convention).
        window_len: frames a window spans, ``1 <= window_len <= L``.

    Returns:
        float64 ``[L - window_len + 1]``; all zeros when ``window_len == 1``.
    """
    values = np.asarray(profile, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"a motion profile must be one value per frame, got shape {values.shape}")
    if not 1 <= window_len <= len(values):
        raise ValueError(f"window_len must be between 1 and the {len(values)} frames of the profile, "
                         f"got {window_len}")
    num_windows = len(values) - window_len + 1
    if window_len == 1:
        return np.zeros(num_windows)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    # sum of values[s+1 : s+window_len] for every s
    sums = cumulative[window_len:window_len + num_windows] - cumulative[1:1 + num_windows]
    return sums / (window_len - 1)


def motion_weighted_starts(
    profile: Sequence[float] | np.ndarray | None,
    window_len: int,
    num: int,
    rng: np.random.Generator,
    *,
    num_frames: int | None = None,
    min_percentile: float = 0.0,
    temperature: float | None = None,
) -> np.ndarray:
    """Draw ``num`` window starts, favouring windows where the video moves.

    Two rules, usable together. ``min_percentile`` keeps only windows whose motion is at or above that
    percentile of all windows and draws uniformly among them (Shuffle & Learn's "high-motion windows").
    ``temperature`` weights the kept windows by ``softmax(score / mean_score / temperature)``, a soft
    preference (large temperature → uniform, small → the most moving window). With neither, or when the
    profile is ``None`` or constant (nothing to prefer), starts are uniform.

    Args:
        profile: per-frame motion ``[L]`` (``VideoMetadata.motion``), or ``None`` when not measured.
        window_len: frames each window spans.
        num: starts to draw (independently, with replacement).
        rng: the sample's generator.
        num_frames: frames in the video; required when ``profile`` is ``None``, checked against it otherwise.
        min_percentile: 0-100; windows below this percentile of window motion are never drawn.
        temperature: > 0, softness of the motion weighting; ``None`` for no weighting.

    Returns:
        int64 ``[num]`` starts in ``[0, L - window_len]``.
    """
    if profile is None and num_frames is None:
        raise ValueError("motion_weighted_starts needs num_frames when the motion profile is None")
    length = len(profile) if profile is not None else int(num_frames)  # type: ignore[arg-type]
    if num_frames is not None and num_frames != length:
        raise ValueError(f"motion profile has {length} values but the video has {num_frames} frames")
    if not 1 <= window_len <= length:
        raise ValueError(f"a window of {window_len} frames does not fit in a video of {length} frames")
    if not 0.0 <= min_percentile <= 100.0:
        raise ValueError(f"min_percentile must be within 0-100, got {min_percentile}")
    if temperature is not None and temperature <= 0:
        raise ValueError(f"temperature must be > 0 (or None for no weighting), got {temperature}")
    if num < 0:
        raise ValueError(f"num must be >= 0, got {num}")
    num_windows = length - window_len + 1
    if profile is None or (min_percentile == 0.0 and temperature is None):
        return rng.integers(0, num_windows, size=num, dtype=np.int64)
    scores = window_motion_scores(profile, window_len)
    if np.ptp(scores) <= 1e-12 * max(1.0, float(np.abs(scores).max())):
        return rng.integers(0, num_windows, size=num, dtype=np.int64)
    weights = np.ones(num_windows)
    if min_percentile > 0.0:
        weights[scores < np.percentile(scores, min_percentile)] = 0.0
    if temperature is not None:
        logits = scores / max(float(scores.mean()), 1e-12) / temperature
        logits = logits - logits[weights > 0].max()
        weights = weights * np.exp(logits)
    probabilities = weights / weights.sum()
    return rng.choice(num_windows, size=num, p=probabilities).astype(np.int64)
