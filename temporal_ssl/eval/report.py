"""The evaluation report: ``results.json`` (every number, the config, the checkpoint's SHA-256), a markdown
table, and for every classification row a confusion-matrix PNG and a per-class accuracy CSV.

``results.json`` layout::

    {"checkpoint": ..., "checkpoint_sha256": ..., "encoder": ..., "encoder_options": {...},
     "class_names": [...], "config": {...resolved eval config...}, "environment": {...versions...},
     "results": [{"protocol", "subject", "metrics": {...}, "settings": {... N, M, T, stride ...},
                  "seconds": {...}, "per_class_accuracy": {...}, "confusion": [[...]], ...}, ...]}
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from temporal_ssl.config import git_commit
from temporal_ssl.eval.metrics import ClassificationMetrics
from temporal_ssl.eval.results import EvalResult, ProtocolResult

logger = logging.getLogger(__name__)

RESULTS_JSON = "results.json"
RESULTS_MARKDOWN = "results.md"
CLASSIFICATION_COLUMNS = ("video_top1", "video_top5", "clip_top1", "clip_top5", "mean_class_accuracy")


def result_to_dict(result: ProtocolResult) -> dict[str, Any]:
    """One row as plain JSON-able data (per-class accuracy keyed by class name)."""
    out: dict[str, Any] = {
        "protocol": result.protocol,
        "subject": result.subject,
        "metrics": result.metrics,
        "settings": result.settings,
        "seconds": result.seconds,
        "num_train_videos": result.num_train_videos,
        "num_test_videos": result.num_test_videos,
        "failed_videos": result.failed_videos,
    }
    if result.classification is not None:
        names = result.classification.class_names
        out["per_class_accuracy"] = dict(zip(names, result.classification.per_class, strict=True))
        out["confusion"] = result.classification.confusion
    return out


def eval_result_to_dict(result: EvalResult) -> dict[str, Any]:
    """The whole run as plain JSON-able data (the ``results.json`` content)."""
    return {
        "checkpoint": result.checkpoint,
        "checkpoint_sha256": result.checkpoint_sha256,
        "encoder": result.encoder,
        "encoder_options": result.encoder_options,
        "class_names": result.class_names,
        "config": result.config,
        "environment": {
            "git_commit": git_commit(),
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "results": [result_to_dict(r) for r in result.results],
    }


def _percent(value: float | None) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}"


def _views(settings: dict[str, Any]) -> str:
    views = settings.get("test_views", settings)
    if "num_clips" not in views:
        return "–"
    clip = f"{views['num_frames_per_clip']}f/s{views['frame_stride']}"
    text = f"{views['num_clips']}×{views['num_crops']} × {clip}"
    return text + (f" ({settings['pooling']})" if settings.get("pooling") else "")


def markdown_tables(results: Sequence[ProtocolResult]) -> str:
    """Classification rows and retrieval rows as two markdown tables (accuracies in %)."""
    lines: list[str] = []
    classified = [r for r in results if r.protocol != "retrieval"]
    if classified:
        lines += [
            "| encoder | protocol | video top-1 | video top-5 | clip top-1 | clip top-5 | mean class acc. "
            "| test views (clips×crops × frames/stride) | seconds |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in classified:
            cells = " | ".join(_percent(r.metrics.get(c)) for c in CLASSIFICATION_COLUMNS)
            lines.append(
                f"| {r.subject} | {r.protocol} | {cells} | {_views(r.settings)} | "
                f"{sum(r.seconds.values()):.1f} |"
            )
    retrieved = [r for r in results if r.protocol == "retrieval"]
    if retrieved:
        ks = sorted({int(key.removeprefix("retrieval_top")) for r in retrieved for key in r.metrics})
        lines += [
            "",
            "| encoder | " + " | ".join(f"R@{k}" for k in ks) + " | views | seconds |",
            "|---|" + "---|" * len(ks) + "---|---|",
        ]
        for r in retrieved:
            cells = " | ".join(_percent(r.metrics.get(f"retrieval_top{k}")) for k in ks)
            lines.append(f"| {r.subject} | {cells} | {_views(r.settings)} | {sum(r.seconds.values()):.1f} |")
    return "\n".join(lines) + "\n"


def markdown_report(result: EvalResult) -> str:
    """``results.md``: what was evaluated, the tables, and the caveats every comparison must carry."""
    source = result.checkpoint or "random initialisation"
    sha = f" (sha256 `{result.checkpoint_sha256[:16]}…`)" if result.checkpoint_sha256 else ""
    data = result.config.get("data", {})
    header = [
        f"# Evaluation of `{result.encoder}` from {source}{sha}",
        "",
        f"Data: format `{data.get('format')}`, split {data.get('split_number')}: train = "
        f"`{result.config.get('train_split')}`, test = `{result.config.get('test_split')}`, "
        f"{len(result.class_names)} classes. Accuracies in %.",
        "",
    ]
    footer = [
        "",
        "Video level: softmax averaged over the test views; clip level: every view scored alone. "
        "Compare with published numbers only at the same split, views, input size and backbone "
        "(METHODS.md §6-7).",
    ]
    return "\n".join(header) + markdown_tables(result.results) + "\n".join(footer) + "\n"


def plot_confusion(
    confusion: Sequence[Sequence[int]], class_names: Sequence[str], path: str | Path, *, title: str = ""
) -> Path:
    """Row-normalised confusion matrix (row = true class) as a PNG with the counts written in the cells."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    counts = torch.tensor(confusion, dtype=torch.float64)
    rates = counts / counts.sum(dim=1, keepdim=True).clamp_min(1)
    size = max(4.0, 0.45 * len(class_names) + 2)
    figure, axis = plt.subplots(figsize=(size, size), dpi=110)
    image = axis.imshow(rates.numpy(), cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(class_names)), labels=list(class_names), rotation=90, fontsize=7)
    axis.set_yticks(range(len(class_names)), labels=list(class_names), fontsize=7)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    if len(class_names) <= 30:
        for row in range(counts.shape[0]):
            for column in range(counts.shape[1]):
                if counts[row, column]:
                    axis.text(
                        column,
                        row,
                        str(int(counts[row, column])),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if rates[row, column] > 0.5 else "black",
                    )
    axis.set_title(title, fontsize=9)
    figure.colorbar(image, ax=axis, fraction=0.046)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path)
    plt.close(figure)
    return path


def plot_accuracy_bars(
    labels: Sequence[str],
    accuracies: Sequence[float],
    path: str | Path,
    *,
    title: str = "",
    chance: float | None = None,
) -> Path:
    """A bar chart of accuracies (in %), with a dashed chance line when given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(max(4.0, 1.3 * len(labels) + 1), 3.5), dpi=120)
    values = [100 * a for a in accuracies]
    bars = axis.bar(range(len(labels)), values, color="tab:blue")
    axis.set_xticks(range(len(labels)), labels=list(labels), fontsize=8)
    for bar, value in zip(bars, values, strict=True):
        axis.text(bar.get_x() + bar.get_width() / 2, value + 1, f"{value:.1f}", ha="center", fontsize=8)
    if chance is not None:
        axis.axhline(100 * chance, color="gray", linestyle="--", linewidth=1, label="chance")
        axis.legend(fontsize=8)
    axis.set_ylim(0, 105)
    axis.set_ylabel("top-1 accuracy (%)")
    axis.set_title(title, fontsize=9)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path)
    plt.close(figure)
    return path


def write_per_class_csv(metrics: ClassificationMetrics, path: str | Path) -> Path:
    """``class,accuracy,num_test_videos`` rows of a classification result."""
    path = Path(path)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["class", "accuracy", "num_test_videos"])
        rows = zip(metrics.class_names, metrics.per_class, metrics.confusion, strict=True)
        for name, accuracy, row in rows:
            writer.writerow([name, "" if accuracy is None else f"{accuracy:.4f}", sum(row)])
    return path


def write_report(result: EvalResult, output_dir: str | Path) -> dict[str, str]:
    """Write every report file into ``output_dir``; returns (and stores in ``result.files``) their paths."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    for row in result.results:
        if row.classification is None:
            continue
        title = f"{row.subject} / {row.protocol}: video top-1 {_percent(row.metrics.get('video_top1'))} %"
        png = plot_confusion(
            row.classification.confusion,
            row.classification.class_names,
            output_dir / f"confusion_{row.name}.png",
            title=title,
        )
        files[f"confusion_{row.name}"] = str(png)
        files[f"per_class_{row.name}"] = str(
            write_per_class_csv(row.classification, output_dir / f"per_class_{row.name}.csv")
        )
    markdown = output_dir / RESULTS_MARKDOWN
    markdown.write_text(markdown_report(result))
    files["markdown"] = str(markdown)
    json_path = output_dir / RESULTS_JSON
    files["json"] = str(json_path)
    result.output_dir, result.files = output_dir, files
    tmp = json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({**eval_result_to_dict(result), "files": files}, indent=2) + "\n")
    os.replace(tmp, json_path)
    logger.info("evaluation report written to %s", output_dir)
    return files
