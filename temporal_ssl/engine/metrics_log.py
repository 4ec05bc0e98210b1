"""Training metrics: a JSON-lines file, optional TensorBoard, a progress bar with ETA, a loss-curve PNG.

Only the main process (rank 0) creates a :class:`MetricsLog`. Each line of ``metrics.jsonl`` is one log
interval: ``step``, ``epoch``, the window means of ``loss`` and the loss's own metrics (e.g. the pretext
``accuracy`` or ``top1``), ``lr``, ``grad_norm`` (before clipping), ``momentum`` (momentum encoders),
``samples_per_second`` and ``clips_per_second`` over all ranks (a clip is one view: a VCOP sample holds 3),
``data_wait_fraction`` (time spent waiting for the loader / wall time of the interval, averaged over ranks),
``peak_memory_mb`` (GPU tensors, or the process's peak resident memory on CPU) and ``elapsed_seconds``.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.errors import ConfigError

logger = logging.getLogger(__name__)


def check_tensorboard_available() -> None:
    """Raise a clear ``ConfigError`` when ``train.tensorboard: true`` but the package is missing."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        raise ConfigError(
            "train.tensorboard = true needs the tensorboard package: "
            "pip install 'temporal_ssl[tensorboard]' (or set train.tensorboard=false)"
        ) from None


def tensorboard_wanted(choice: bool | None) -> bool:
    """``train.tensorboard`` resolved: ``None`` means "whenever the package is installed"."""
    if choice is None:
        return importlib.util.find_spec("tensorboard") is not None
    if choice:
        check_tensorboard_available()
    return choice


def peak_memory_mb(device: torch.device) -> float:
    """Peak GPU memory allocated by tensors on ``device``, or the process's peak resident memory on CPU."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    kilobytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kilobytes / 1024 if sys.platform != "darwin" else kilobytes / 2**20


@dataclass
class WindowMeter:
    """Sums over one log interval: per-step values, time waiting for data, wall time, samples and clips."""

    sums: dict[str, float] = field(default_factory=dict)
    steps: int = 0
    data_wait_seconds: float = 0.0
    samples: int = 0
    clips: int = 0
    started: float = field(default_factory=time.perf_counter)

    def add(self, values: dict[str, float], *, data_wait_seconds: float, samples: int, clips: int) -> None:
        """Record one optimizer step."""
        for key, value in values.items():
            self.sums[key] = self.sums.get(key, 0.0) + value
        self.steps += 1
        self.data_wait_seconds += data_wait_seconds
        self.samples += samples
        self.clips += clips

    def means(self) -> dict[str, float]:
        """Window means of the per-step values plus this rank's throughput and data-wait fraction."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        out = {key: value / max(self.steps, 1) for key, value in self.sums.items()}
        out["samples_per_second"] = self.samples / elapsed
        out["clips_per_second"] = self.clips / elapsed
        out["data_wait_fraction"] = min(1.0, self.data_wait_seconds / elapsed)
        return out


class MetricsLog:
    """Writes ``metrics.jsonl`` (and TensorBoard events), and drives the progress bar. Main process only.

    Args:
        output_dir: where ``metrics.jsonl`` (and ``tensorboard/``) go.
        total_steps: optimizer steps of the whole run (the bar's total).
        start_step: steps already done (a resumed run); later records are dropped from the file.
        tensorboard: also write TensorBoard events.
        progress_bar: show the bar.
        description: the bar's label (``"pretrain"``, ``"finetune"`` ...).
    """

    def __init__(
        self,
        output_dir: Path,
        *,
        total_steps: int,
        start_step: int,
        tensorboard: bool,
        progress_bar: bool,
        description: str = "pretrain",
    ) -> None:
        self.path = output_dir / "metrics.jsonl"
        truncate_metrics(self.path, after_step=start_step)
        self._file = self.path.open("a")
        self._tensorboard = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self._tensorboard = SummaryWriter(str(output_dir / "tensorboard"))
        self._bar = tqdm(
            total=total_steps,
            initial=start_step,
            desc=description,
            unit="step",
            disable=not progress_bar,
            dynamic_ncols=True,
        )

    def advance(self, step: int) -> None:
        """Move the progress bar to ``step`` steps done."""
        self._bar.update(step - self._bar.n)

    def write(self, record: dict[str, Any]) -> None:
        """Append one record (must hold ``step``), mirror its numbers to TensorBoard and the progress bar."""
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        numbers = {k: v for k, v in record.items() if isinstance(v, (int, float)) and k != "step"}
        if self._tensorboard is not None:
            for key, value in numbers.items():
                self._tensorboard.add_scalar(f"train/{key}", value, record["step"])
        shown = {k: f"{numbers[k]:.4g}" for k in ("loss", "lr", "clips_per_second") if k in numbers}
        self._bar.set_postfix(shown, refresh=False)

    def close(self) -> None:
        self._bar.close()
        self._file.close()
        if self._tensorboard is not None:
            self._tensorboard.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The records of a ``metrics.jsonl`` file (an unfinished last line from a crash is ignored)."""
    if not path.is_file():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def truncate_metrics(path: Path, *, after_step: int) -> None:
    """Drop records past ``after_step``: a resumed run re-logs the steps done after its checkpoint."""
    if not path.is_file():
        return
    kept = [r for r in read_metrics(path) if r.get("step", 0) <= after_step]
    write_text_atomic(path, "".join(json.dumps(r) + "\n" for r in kept))


def plot_loss_curve(metrics_path: Path, png_path: Path) -> Path | None:
    """Plot loss (and pretext accuracy, when logged) against step; ``None`` if there is nothing to plot."""
    records = [
        r
        for r in read_metrics(metrics_path)
        if isinstance(r.get("loss"), (int, float)) and math.isfinite(r["loss"])
    ]
    if not records:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in records]
    accuracy_key = next((k for k in ("accuracy", "top1") if k in records[-1]), None)
    figure, loss_axis = plt.subplots(figsize=(6, 3.5), dpi=120)
    loss_axis.plot(steps, [r["loss"] for r in records], color="tab:blue", label="loss")
    loss_axis.set_xlabel("optimizer step")
    loss_axis.set_ylabel("training loss", color="tab:blue")
    if accuracy_key is not None:
        accuracy_axis = loss_axis.twinx()
        accuracy_axis.plot(steps, [r.get(accuracy_key, float("nan")) for r in records], color="tab:orange")
        accuracy_axis.set_ylabel(f"pretext {accuracy_key}", color="tab:orange")
    loss_axis.set_title("pretraining loss")
    figure.tight_layout()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png_path)
    plt.close(figure)
    return png_path
