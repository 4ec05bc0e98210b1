"""Time temporal_ssl's reader against the raw decoding libraries on the same files and the same clips.

For every access pattern (``decode_patterns.py``) and every reader (temporal_ssl through each backend and
``auto``; each raw library used clip by clip, ``decode_raw_readers.py``) the same seeded clips of every file
are decoded and resized, after one warm-up sample; readers take turns within each repeat, and each repeat's
wall time gives clips/s and frames/s, reported as the median with the range over repeats. Peak memory is the
growth of the process's peak resident set while a reader runs its first repeat (Linux
``/proc/self/clear_refs``; ``None`` where that is unavailable).
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks.decode_patterns import PATTERNS, Clips
from benchmarks.decode_raw_readers import RAW_READERS
from temporal_ssl.io import available_backends, open_video, probe_video
from temporal_ssl.types import VideoMetadata

logger = logging.getLogger(__name__)

Reader = Callable[[str, Clips], list[torch.Tensor]]


@dataclass
class Measurement:
    """One reader on one pattern, over all files."""

    reader: str
    pattern: str
    clips_per_second: float
    clips_per_second_range: tuple[float, float]
    frames_per_second: float
    peak_memory_mib: float | None
    repeat_seconds: list[float]
    file_seconds: dict[str, float] = field(default_factory=dict)  # median per file


@dataclass
class DecodeBenchmark:
    """Everything one run measured, with the settings that produced it."""

    device: str
    size: tuple[int, int]
    repeats: int
    samples_per_video: int
    files: list[str]
    probe_milliseconds: dict[str, float]
    seek_exact_backends: dict[str, list[str]]
    num_frames: dict[str, int]
    measurements: list[Measurement] = field(default_factory=list)
    excluded_files: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def ratio(self, pattern: str, files: Sequence[str] | None = None) -> tuple[float, str] | None:
        """temporal_ssl ``auto`` speed over the fastest raw library's on ``files`` (default: all timed), and
        that library's name; from the median time per file, so on the same clips."""
        rows = [m for m in self.measurements if m.pattern == pattern]
        ours = next((m for m in rows if m.reader.startswith("temporal_ssl auto")), None)
        raws = [m for m in rows if m.reader.startswith("raw ")]
        if ours is None or not raws:
            return None
        chosen = list(ours.file_seconds) if files is None else [f for f in files if f in ours.file_seconds]
        if not chosen:
            return None
        best = min(raws, key=lambda m: sum(m.file_seconds[f] for f in chosen))
        ours_seconds = sum(ours.file_seconds[f] for f in chosen)
        return sum(best.file_seconds[f] for f in chosen) / ours_seconds, best.reader

    def markdown(self) -> str:
        """Tables of clips/s, frames/s and peak memory per pattern and reader, and the probe costs."""
        readers = list(dict.fromkeys(m.reader for m in self.measurements))
        patterns = list(dict.fromkeys(m.pattern for m in self.measurements))
        cell = {(m.reader, m.pattern): m for m in self.measurements}
        header = "| pattern | " + " | ".join(readers) + " | auto / best raw |\n"
        rule = "|---" * (len(readers) + 2) + "|\n"
        tables = []
        for title, show in [
            ("clips/s (median, range over repeats)",
             lambda m: f"{m.clips_per_second:.1f} [{m.clips_per_second_range[0]:.1f}-"
                       f"{m.clips_per_second_range[1]:.1f}]"),
            ("frames/s (median)", lambda m: f"{m.frames_per_second:.0f}"),
            ("peak resident memory growth, MiB", lambda m: "n/a" if m.peak_memory_mib is None
             else f"{m.peak_memory_mib:.1f}"),
        ]:
            used = len(self.files) - len(self.excluded_files)
            lines = [f"**{title}** - {used} files, {self.samples_per_video} samples per file, "
                     f"{self.repeats} repeats, output {self.size[0]}x{self.size[1]}, "
                     f"device {self.device}\n\n",
                     header, rule]
            for pattern in patterns:
                ratio = self.ratio(pattern)
                ratio_text = f"{ratio[0]:.2f}x ({ratio[1]})" if ratio else "n/a"
                values = [show(cell[(r, pattern)]) if (r, pattern) in cell else "-" for r in readers]
                lines.append(f"| {pattern} | " + " | ".join(values) + f" | {ratio_text} |\n")
            tables.append("".join(lines))
        per_file = ["| file | " + " | ".join(patterns) + " |\n", "|---" * (len(patterns) + 1) + "|\n"]
        timed = [f for f in self.files if f not in self.excluded_files]
        seeking = [f for f in timed if self.seek_exact_backends[f]]
        for label, chosen in [*((Path(f).name, [f]) for f in timed), ("all timed files", timed),
                              ("files some backend seeks exactly", seeking)]:
            ratios = [self.ratio(pattern, chosen) for pattern in patterns]
            cells = " | ".join(f"{r[0]:.2f}x" if r else "n/a" for r in ratios)
            per_file.append(f"| {label} | {cells} |\n")
        tables.append("**temporal_ssl auto / fastest raw library, per file** (same clips; a file no backend "
                      "seeks exactly is decoded linearly from frame 0, as exactness requires)\n\n"
                      + "".join(per_file))
        probe = ["| file | frames | probe ms | seek verified exact | timed |\n", "|---|---|---|---|---|\n"]
        for name in self.files:
            exact = ", ".join(self.seek_exact_backends[name]) or "none (linear PyAV)"
            status = f"no ({self.excluded_files[name]})" if name in self.excluded_files else "yes"
            probe.append(f"| {Path(name).name} | {self.num_frames[name]} | "
                         f"{self.probe_milliseconds[name]:.0f} | {exact} | {status} |\n")
        tables.append("**probe cost per file** (one sequential decode + seek check of every backend)\n\n"
                      + "".join(probe))
        return "\n".join(tables)


def run_decode_benchmark(
    videos: Sequence[str | Path],
    *,
    device: str = "cpu",
    repeats: int = 3,
    samples_per_video: int = 3,
    size: tuple[int, int] = (112, 112),
    seed: int = 0,
    patterns: Sequence[str] | None = None,
) -> DecodeBenchmark:
    """Measure every reader on every pattern over ``videos``.

    Args:
        videos: the files (each is probed first; the probe cost is reported).
        device: ``"cpu"``, or ``"cuda"`` to add temporal_ssl and raw torchcodec decoding with NVDEC.
        repeats: timed repeats (after one warm-up sample per reader and pattern).
        samples_per_video: training samples drawn per file and pattern (the same for every reader).
        size: output ``(height, width)``.
        seed: seeds the clip positions.
        patterns: names from ``PATTERNS`` (default: all).
    """
    files = [str(v) for v in videos]
    available_backends()  # import every backend now, so the first probe's time is the probe's alone
    metadata: dict[str, VideoMetadata] = {}
    probe_ms: dict[str, float] = {}
    for path in files:
        started = time.perf_counter()
        metadata[path] = probe_video(path)
        probe_ms[path] = (time.perf_counter() - started) * 1e3
    result = DecodeBenchmark(
        device=device, size=size, repeats=repeats, samples_per_video=samples_per_video, files=list(files),
        probe_milliseconds=probe_ms, num_frames={p: m.num_frames for p, m in metadata.items()},
        seek_exact_backends={p: list(m.frame_table.seek_exact_backends) if m.frame_table else []
                             for p, m in metadata.items()})
    readers = _readers(metadata, device, size)
    plans: dict[str, dict[str, list[Clips]]] = {}
    for pattern_number, pattern in enumerate(patterns or PATTERNS):
        plans[pattern] = {path: [PATTERNS[pattern](metadata[path].num_frames, np.random.default_rng(
            [seed, file_number, pattern_number, sample])) for sample in range(samples_per_video)]
            for file_number, path in enumerate(files)}
    # The same files for every reader: drop a file some raw library fails on (and say so). temporal_ssl's
    # readers are not excused: a failure of theirs stops the benchmark.
    for name, reader in readers.items():
        for path in files:
            if name.startswith("raw ") and path not in result.excluded_files:
                samples = [clips for by_file in plans.values() for clips in by_file[path]]
                problem = _failure(reader, path, samples)
                if problem:
                    logger.warning("%s cannot read %s (%s); timing without this file", name, path, problem)
                    result.excluded_files[path] = f"{name}: {problem}"
    timed = [path for path in files if path not in result.excluded_files]
    if not timed:
        raise ValueError(f"no file can be read by every reader: {result.excluded_files}")
    for pattern, by_file in plans.items():
        chosen = {path: by_file[path] for path in timed}
        result.measurements += _measure_pattern(pattern, readers, chosen, repeats, device)
    return result


def _readers(metadata: dict[str, VideoMetadata], device: str, size: tuple[int, int]) -> dict[str, Reader]:
    def ours(backend: str, on: str) -> Reader:
        def read(path: str, clips: Clips) -> list[torch.Tensor]:
            with open_video(path, backend=backend, device=on, metadata=metadata[path]) as reader:
                frames = reader.get_frames([i for clip in clips for i in clip], size=size)
            return list(frames.split([len(clip) for clip in clips]))
        return read

    def raw(name: str, on: str) -> Reader:
        return lambda path, clips: RAW_READERS[name](path, clips, size, on)

    installed = available_backends()
    readers = {"temporal_ssl auto": ours("auto", "cpu")}
    readers.update({f"temporal_ssl {b}": ours(b, "cpu") for b in installed})
    readers.update({f"raw {b}": raw(b, "cpu") for b in installed if b in RAW_READERS})
    if device != "cpu":
        readers[f"temporal_ssl auto ({device})"] = ours("torchcodec", device)
        readers[f"raw torchcodec ({device})"] = raw("torchcodec", device)
    return readers


def _failure(reader: Reader, path: str, samples: list[Clips]) -> str | None:
    """Why ``reader`` cannot decode every sample of ``path``, or ``None``."""
    try:
        for clips in samples:
            reader(path, clips)
    except Exception as error:  # a library failing on a file is reported, not fatal
        return f"{type(error).__name__}: {str(error)[:120]}"
    return None


def _measure_pattern(pattern: str, readers: dict[str, Reader], plans: dict[str, list[Clips]], repeats: int,
                     device: str) -> list[Measurement]:
    """Time every reader on the same plans; readers take turns within each repeat (rotating the order), so a
    change in machine load affects them alike."""
    first_path = next(iter(plans))
    for reader in readers.values():
        reader(first_path, plans[first_path][0])  # warm-up: imports, first allocations
    num_clips = sum(len(clips) for samples in plans.values() for clips in samples)
    num_frames = sum(len(clip) for samples in plans.values() for clips in samples for clip in clips)
    names = list(readers)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    per_file: dict[str, dict[str, list[float]]] = {name: {path: [] for path in plans} for name in names}
    peaks: dict[str, float | None] = {}
    for repeat in range(repeats):
        for name in names[repeat % len(names):] + names[:repeat % len(names)]:
            baseline = _reset_peak_rss() if repeat == 0 else None
            for path, samples in plans.items():
                started = time.perf_counter()
                for clips in samples:
                    readers[name](path, clips)
                if device != "cpu":
                    torch.cuda.synchronize()
                per_file[name][path].append(time.perf_counter() - started)
            seconds[name].append(sum(times[-1] for times in per_file[name].values()))
            if repeat == 0:
                peaks[name] = None if baseline is None else _peak_rss_mib() - baseline
    measurements = []
    for name in names:
        rates = [num_clips / s for s in seconds[name]]
        median = statistics.median(seconds[name])
        file_seconds = {path: statistics.median(times) for path, times in per_file[name].items()}
        measurements.append(Measurement(name, pattern, num_clips / median, (min(rates), max(rates)),
                                        num_frames / median, peaks[name], seconds[name], file_seconds))
        logger.info("%s on %s: %.1f clips/s", name, pattern, measurements[-1].clips_per_second)
    return measurements


def _status_mib(key: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    raise KeyError(key)


def _reset_peak_rss() -> float | None:
    """Reset the kernel's peak-RSS mark and return the current RSS (MiB), or ``None`` if not on Linux."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
        return _status_mib("VmRSS")
    except OSError:
        return None


def _peak_rss_mib() -> float:
    return _status_mib("VmHWM") if os.path.exists("/proc/self/status") else float("nan")
