"""The report of one run, written by :func:`write_report`: ``results.json`` (every number, the config, the
checkpoint's SHA-256; layout in ``results.schema.json``), ``results.md`` (what was evaluated, the tables), a
confusion-matrix PNG and a per-class accuracy CSV for every classification row, accuracy bars when baselines
were evaluated, and the pretraining loss curve when the run pretrained first.
"""

from __future__ import annotations

import csv
import logging
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from temporal_ssl.eval.metrics import ClassificationMetrics
from temporal_ssl.eval.results import (
    SUPERVISED_SCRATCH,
    ClassificationScores,
    EvalResult,
    ProtocolResult,
    RetrievalScores,
)
from temporal_ssl.eval.results_json import RESULTS_JSON, write_results_json

logger = logging.getLogger(__name__)

RESULTS_MARKDOWN = "results.md"
CLASSIFICATION_COLUMNS = ("video_top1", "video_top5", "clip_top1", "clip_top5", "mean_class_accuracy")
LOSS_CURVE = "loss_curve.png"


def percent(value: float | None) -> str:
    """``value`` (a fraction) in % with one decimal; ``–`` when undefined."""
    return "–" if value is None or value != value else f"{100 * value:.1f}"


def _views(settings: dict[str, Any]) -> str:
    views = settings.get("test_views", settings)
    if "num_clips" not in views:
        return "–"
    clip = f"{views['num_frames_per_clip']}f/s{views['frame_stride']}"
    text = f"{views['num_clips']}×{views['num_crops']} × {clip}"
    return text + (f" ({settings['pooling']})" if settings.get("pooling") else "")


def _published(row: ProtocolResult, metric: str) -> str:
    value = row.published.get(metric)
    return "" if value is None else f" (paper {percent(value.value)})"


def markdown_tables(results: Sequence[ProtocolResult]) -> str:
    """Classification rows and retrieval rows as two markdown tables (accuracies in %, published values in
    brackets beside the measured ones)."""
    lines: list[str] = []
    classified = [r for r in results if isinstance(r.metrics, ClassificationScores)]
    if classified:
        lines += [
            "| encoder | protocol | video top-1 | video top-5 | clip top-1 | clip top-5 | mean class acc. "
            "| test views (clips×crops × frames/stride) | seconds |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in classified:
            cells = " | ".join(
                percent(getattr(r.metrics, c)) + _published(r, c) for c in CLASSIFICATION_COLUMNS
            )
            lines.append(
                f"| {r.subject} | {r.protocol} | {cells} | {_views(r.settings)} | "
                f"{sum(r.seconds.values()):.1f} |"
            )
    retrieved = [r for r in results if isinstance(r.metrics, RetrievalScores)]
    if retrieved:
        ks = sorted({k for r in retrieved for k in r.metrics.recall_at_k})  # type: ignore[union-attr]
        lines += [
            "",
            "| encoder | " + " | ".join(f"R@{k}" for k in ks) + " | views | seconds |",
            "|---|" + "---|" * len(ks) + "---|---|",
        ]
        for r in retrieved:
            recall = r.metrics.recall_at_k  # type: ignore[union-attr]
            cells = " | ".join(percent(recall.get(k)) + _published(r, f"recall_at_{k}") for k in ks)
            lines.append(f"| {r.subject} | {cells} | {_views(r.settings)} | {sum(r.seconds.values()):.1f} |")
    return "\n".join(lines) + "\n"


def pretraining_lines(result: EvalResult) -> list[str]:
    """What was pretrained, how long it took and how the pretext ended (empty without pretraining)."""
    run = result.pretraining
    if run is None:
        return []
    if run.pretext_accuracy is None:
        pretext = "no classification pretext accuracy (contrastive or ranking loss)"
    else:
        at_chance = " (at chance: the encoder learned little)" if run.pretext_at_chance else ""
        pretext = f"final pretext accuracy {percent(run.pretext_accuracy)} %{at_chance}"
    return [f"Pretrained `{run.pretext}` for {run.steps} steps in {run.seconds:.0f} s; {pretext}.", ""]


def comparison_lines(result: EvalResult) -> list[str]:
    """The margin over random init and the supervised baseline's budget, for each protocol that has them."""
    lines = []
    for protocol in dict.fromkeys(r.protocol for r in result.results):
        margin = result.margin_over_random(protocol)
        if margin is not None:
            lines.append(f"{protocol}: pretrained {100 * margin:+.1f} points over random init.")
    supervised = [r for r in result.results if r.subject == SUPERVISED_SCRATCH and r.protocol == "finetune"]
    for row in supervised:
        lines.append(
            f"Supervised from scratch: {row.settings.get('steps')} steps of {row.settings.get('batch_size')} "
            f"clips in {row.seconds.get('train', 0.0):.0f} s; its own classifier: "
            f"{percent(row.metrics.top1)} % video top-1."
        )
    return lines


def summary_lines(result: EvalResult) -> list[str]:
    """The run for a terminal: one line per row (its headline scores), the margins, the baseline's budget."""
    lines = [
        f"{len(result.class_names)} classes (chance {percent(result.chance)} %), "
        f"{result.results[0].num_test_videos if result.results else 0} test videos:"
    ]
    for row in result.results:
        if isinstance(row.metrics, RetrievalScores):
            scores = ", ".join(f"R@{k} {percent(v)} %" for k, v in sorted(row.metrics.recall_at_k.items()))
        else:
            clip = "" if row.metrics.clip_top1 is None else f" (clip {percent(row.metrics.clip_top1)} %)"
            scores = f"video top-1 {percent(row.metrics.video_top1)} %{clip}"
        lines.append(f"  {row.subject}: {row.protocol} {scores}, views {_views(row.settings)}")
    return lines + comparison_lines(result)


def markdown_report(result: EvalResult) -> str:
    """``results.md``: what was evaluated, the tables, and the caveats every comparison must carry."""
    source = result.checkpoint or "random initialisation"
    sha = f" (sha256 `{result.checkpoint_sha256[:16]}…`)" if result.checkpoint_sha256 else ""
    data = result.config.get("data", {})
    title = f"# {result.recipe.name}: " if result.recipe else "# "
    header = [
        f"{title}evaluation of `{result.encoder}` from {source}{sha}",
        "",
        *pretraining_lines(result),
        f"Data: format `{data.get('format')}`, split {data.get('split_number')}: train = "
        f"`{result.config.get('train_split')}`, test = `{result.config.get('test_split')}`, "
        f"{len(result.class_names)} classes (chance {percent(result.chance)} %). Accuracies in %.",
        "",
    ]
    comparison = comparison_lines(result)
    footer = [
        "",
        *comparison,
        *([""] if comparison else []),
        "Video level: softmax averaged over the test views; clip level: every view scored alone. "
        "Compare with published numbers only at the same split, views, input size and backbone.",
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
        title = f"{row.subject} / {row.protocol}: video top-1 {percent(row.metrics.top1)} %"
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
    for protocol in dict.fromkeys(r.protocol for r in result.results):
        rows = [r for r in result.results if r.protocol == protocol]
        if len(rows) > 1:
            bars = plot_accuracy_bars(
                [r.subject for r in rows],
                [r.metrics.top1 for r in rows],
                output_dir / f"accuracy_bars_{protocol}.png",
                title=f"{protocol}, top-1",
                chance=result.chance,
            )
            files[f"accuracy_bars_{protocol}"] = str(bars)
    if result.pretraining is not None:
        curve = Path(result.pretraining.run_dir) / LOSS_CURVE
        if curve.is_file():
            files["loss_curve"] = str(shutil.copyfile(curve, output_dir / LOSS_CURVE))
    markdown = output_dir / RESULTS_MARKDOWN
    markdown.write_text(markdown_report(result))
    files["markdown"] = str(markdown)
    files["json"] = str(output_dir / RESULTS_JSON)
    result.output_dir, result.files = output_dir, files
    write_results_json(result, output_dir / RESULTS_JSON)
    logger.info("evaluation report written to %s", output_dir)
    return files
