"""Pretrain, then linear-probe against both baselines: the main job and one cell of the pretext benchmark.

``run_experiment`` pretrains the encoder a config describes, probes it, a randomly initialised copy and a
copy trained with labels from scratch on the labelled part of the same corpus (``compare_linear_probe``), and
writes one report folder a person can read: ``results.json`` (the top-1 of each, the margin, the pretext's own
accuracy and the seconds each stage took), ``summary.md``, ``loss_curve.png``, ``accuracy_bars.png`` and the
full evaluation (confusion matrices, per-class accuracy) under ``evaluation/``.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from temporal_ssl.config import to_dict
from temporal_ssl.engine.pretrain import pretrain, resolve_output_dir
from temporal_ssl.engine.pretrain_config import PretrainConfig
from temporal_ssl.engine.run import PretrainResult
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.eval.compare import ComparisonResult, compare_linear_probe, synthetic_supervised


@dataclass
class ExperimentResult:
    """A pretraining run and its comparison with the baselines.

    Args:
        pretext: the pretext's registry name.
        pretraining: what ``pretrain`` returned (checkpoint, pretext accuracy ...).
        comparison: the three linear probes.
        report_dir: the report folder.
        seconds: wall-clock seconds of ``pretrain`` and ``evaluate``.
        files: the report's files by kind.
    """

    pretext: str
    pretraining: PretrainResult
    comparison: ComparisonResult
    report_dir: Path
    seconds: dict[str, float]
    files: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The figures ``results.json`` holds (accuracies as fractions)."""
        top1 = {row.name: row.video_top1 for row in self.comparison.rows}
        return {
            "pretext": self.pretext,
            "top1": top1,
            "clip_top1": {row.name: row.clip_top1 for row in self.comparison.rows},
            "margin_over_random": self.comparison.margin_over_random,
            "chance": self.comparison.chance,
            "pretext_accuracy": self.pretraining.pretext_accuracy,
            "pretext_at_chance": self.pretraining.pretext_at_chance,
            "pretrain_steps": self.pretraining.step,
            "supervised_steps": self.comparison.supervised_steps,
            "supervised_own_head_top1": self.comparison.supervised_head_top1,
            "seconds": self.seconds,
            "checkpoint": str(self.pretraining.checkpoint),
        }


def run_experiment(
    config: PretrainConfig,
    *,
    resume: str | None = None,
    supervised_steps: int = 300,
    report_dir: str | Path | None = None,
) -> ExperimentResult:
    """Pretrain ``config``, probe it against random init and supervised-from-scratch, write the report.

    The probe runs on the labelled splits (``train``/``test``) of ``config.data``: for the synthetic corpus
    its UCF101-like part, which pretraining never saw. The supervised baseline trains the same architecture
    for ``supervised_steps`` steps with the labels.

    Args:
        config: a pretraining config (``load_pretrain_config``).
        resume: as for ``pretrain`` (``"auto"`` reuses a finished run instead of training again).
        supervised_steps: the supervised baseline's budget.
        report_dir: where to write the report (default ``<run folder>/report``).

    Raises:
        TemporalSSLError: pretraining stopped early (a signal) or wrote no checkpoint.
    """
    started = time.perf_counter()
    pretraining = pretrain(config, resume=resume)
    pretrained_at = time.perf_counter()
    if not pretraining.completed or pretraining.checkpoint is None:
        raise TemporalSSLError(
            f"pretraining stopped at step {pretraining.step}/{pretraining.total_steps}; run the same command "
            "again to continue, then the evaluation runs"
        )
    output_dir = Path(report_dir) if report_dir is not None else resolve_output_dir(config) / "report"
    comparison = compare_linear_probe(
        pretraining.checkpoint,
        data=replace(config.data, split=None),
        supervised=synthetic_supervised(supervised_steps),
        seed=config.train.seed,
        device=config.train.device,
        output_dir=output_dir / "evaluation",
    )
    seconds = {
        "pretrain": pretrained_at - started,
        "evaluate": time.perf_counter() - pretrained_at,
    }
    result = ExperimentResult(config.pretext.name, pretraining, comparison, output_dir, seconds)
    result.files = write_experiment_report(result)
    return result


def write_experiment_report(result: ExperimentResult) -> dict[str, str]:
    """Write ``results.json``, ``summary.md`` and the two figures into ``result.report_dir``."""
    out = result.report_dir
    out.mkdir(parents=True, exist_ok=True)
    files = {"results": str(out / "results.json"), "summary": str(out / "summary.md")}
    (out / "results.json").write_text(json.dumps(result.summary(), indent=2) + "\n")
    curve = result.pretraining.output_dir / "loss_curve.png"
    if curve.is_file():
        shutil.copyfile(curve, out / "loss_curve.png")
        files["loss_curve"] = str(out / "loss_curve.png")
    bars = result.comparison.files.get("bars")
    if bars is not None:
        shutil.copyfile(bars, out / "accuracy_bars.png")
        files["accuracy_bars"] = str(out / "accuracy_bars.png")
    (out / "summary.md").write_text(summary_markdown(result))
    return files


def summary_markdown(result: ExperimentResult) -> str:
    """The report's front page: what was trained, the comparison table and where everything is."""
    summary = result.summary()
    accuracy = summary["pretext_accuracy"]
    if accuracy is None:
        pretext_line = "no classification pretext accuracy (contrastive or ranking loss)"
    else:
        at_chance = " (at chance: the encoder learned little)" if summary["pretext_at_chance"] else ""
        pretext_line = f"final pretext accuracy {100 * accuracy:.1f} %{at_chance}"
    return (
        f"# {summary['pretext']}: linear probe on the labelled videos\n\n"
        f"Pretrained {summary['pretrain_steps']} steps in {summary['seconds']['pretrain']:.0f} s; "
        f"{pretext_line}. Evaluation took {summary['seconds']['evaluate']:.0f} s.\n\n"
        f"{result.comparison.to_markdown()}\n"
        f"Margin over random init: {100 * summary['margin_over_random']:+.1f} points.\n\n"
        f"Config: `{to_dict(result.comparison.evaluation.config)['data']['format']}` data; checkpoint "
        f"`{summary['checkpoint']}`. Full evaluation: `evaluation/results.md`.\n"
    )
