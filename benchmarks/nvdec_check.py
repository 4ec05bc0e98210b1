"""Does a GPU decoder return the frames the CPU decodes? Frame index equality and pixel differences per file.

The reference is temporal_ssl's CPU reader, which returns the frame a full sequential decode gives at each
index. Each frame under test is compared with the reference frames at its index and at its neighbours: it
*matches* when no neighbour is closer to it than the frame at its own index (an off-by-one seek picks a
neighbour). Colour conversion on the GPU may differ from FFmpeg's by a few grey levels, so the pixel
difference is reported rather than required to be zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from temporal_ssl.io import open_video, probe_video

NEIGHBOURS = 2
"""Frames on each side of the asked index that a decoded frame is also compared with."""

Decode = Callable[[Path, list[int]], torch.Tensor]
"""Decodes a file's frames ``indices`` as ``uint8 [N, C, H, W]`` (on any device)."""


@dataclass
class FrameCheck:
    """One decoder on one file: the frames asked, those matching their index, and pixel differences."""

    file: str
    decoder: str
    frames: int = 0
    mismatches: list[tuple[int, int]] = field(default_factory=list)  # (asked index, closest reference index)
    max_abs_diff: int = 0
    mean_abs_diff: float = 0.0
    error: str | None = None

    @property
    def matching(self) -> int:
        return self.frames - len(self.mismatches)


def closest_reference(frame: torch.Tensor, index: int, reference: dict[int, torch.Tensor]) -> int:
    """The reference index nearest to ``frame`` in mean absolute difference, ``index`` itself on a tie."""
    distance = {j: (frame.int() - ref.int()).abs().float().mean().item() for j, ref in reference.items()
                if abs(j - index) <= NEIGHBOURS}
    nearest = min(distance, key=lambda j: distance[j])
    return index if distance[index] <= distance[nearest] else nearest


def compare_frames(check: FrameCheck, frames: torch.Tensor, indices: Sequence[int],
                   reference: dict[int, torch.Tensor]) -> FrameCheck:
    """Fill ``check`` with ``frames`` (decoded at ``indices``) compared with the ``reference`` frames."""
    frames = frames.cpu()
    if frames.shape[0] != len(indices) or frames.shape[1:] != reference[indices[0]].shape:
        check.error = (f"decoded shape {tuple(frames.shape)} for {len(indices)} frames, reference frames "
                       f"{tuple(reference[indices[0]].shape)}")
        return check
    differences = []
    for frame, index in zip(frames, indices, strict=True):
        closest = closest_reference(frame, index, reference)
        if closest != index:
            check.mismatches.append((index, closest))
        difference = (frame.int() - reference[index].int()).abs()
        check.max_abs_diff = max(check.max_abs_diff, int(difference.max()))
        differences.append(difference.float().mean().item())
    check.frames = len(indices)
    check.mean_abs_diff = float(np.mean(differences))
    return check


def sample_indices(num_frames: int, count: int, seed: int = 0) -> list[int]:
    """``count`` sorted distinct frame indices: the first and last frames and a seeded spread in between."""
    rng = np.random.default_rng(seed)
    inner = rng.choice(np.arange(1, max(num_frames - 1, 1)), size=max(0, min(count, num_frames) - 2),
                       replace=False) if num_frames > 2 else np.array([], dtype=int)
    return sorted({0, num_frames - 1, *inner.tolist()})


def check_decoders(path: Path, decoders: dict[str, Decode], *, count: int = 24,
                   seed: int = 0) -> list[FrameCheck]:
    """Compare every decoder of ``decoders`` with the CPU reader on ``count`` frames of ``path``."""
    metadata = probe_video(path)
    indices = sample_indices(metadata.num_frames, count, seed)
    needed = sorted({j for i in indices for j in range(i - NEIGHBOURS, i + NEIGHBOURS + 1)
                     if 0 <= j < metadata.num_frames})
    with open_video(path, metadata=metadata) as reader:
        reference = dict(zip(needed, reader.get_frames(needed).contiguous(), strict=True))
    checks = []
    for name, decode in decoders.items():
        check = FrameCheck(str(path), name)
        try:
            frames = decode(path, indices)
        except Exception as error:  # a decoder failing on a file is a finding to report, not a crash
            check.error = f"{type(error).__name__}: {str(error)[:160]}"
        else:
            compare_frames(check, frames, indices, reference)
        checks.append(check)
    return checks


def markdown_table(checks: Sequence[FrameCheck]) -> str:
    """One line per file and decoder."""
    lines = ["| file | decoder | frames at their index | max abs diff | mean abs diff | note |",
             "|---|---|---|---|---|---|"]
    for c in checks:
        note = c.error or ", ".join(f"{asked}->{got}" for asked, got in c.mismatches[:5])
        lines.append(f"| {Path(c.file).name} | {c.decoder} | {c.matching}/{c.frames} | {c.max_abs_diff} | "
                     f"{c.mean_abs_diff:.2f} | {note} |")
    return "\n".join(lines)
