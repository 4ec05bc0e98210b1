"""``run_recipe``: pretrain as the paper did, run every downstream protocol, write one ``results.json``.

Layout of the output folder::

    DIR/pretrain/            the pretraining run (config, metrics, checkpoints)
    DIR/<step name>/         one evaluation report per downstream protocol
    DIR/results.json         one result in the package's schema: the recipe, encoder, input size, every
                             step's rows with each metric beside its published value
    DIR/data_report.json     per step, the usable videos and every video held back, counted by reason

Every data step reports what the corpus held back (undecodable, listed but missing, dropped by a filter) in
``data_report.json`` and as one console line per condition, so nothing is lost silently.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.config import apply_overrides, from_dict, load_yaml, merge
from temporal_ssl.config_files import resolve_config
from temporal_ssl.data.index import VideoIndex
from temporal_ssl.engine.pretrain import pretrain
from temporal_ssl.engine.pretrain_config import PretrainConfig
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.eval import evaluate
from temporal_ssl.eval.config import EvalConfig
from temporal_ssl.eval.labeled_data import LabeledSplits, load_labeled_splits
from temporal_ssl.eval.results import (
    PRETRAINED,
    EvalResult,
    InputSize,
    PretrainingSummary,
    PublishedValue,
    RecipeInfo,
)
from temporal_ssl.eval.results_json import results_document
from temporal_ssl.pipeline.records import DataConfig, load_index_for
from temporal_ssl.recipes.catalog import Catalog, apply_dataset
from temporal_ssl.recipes.recipe import EvalStep, Recipe
from temporal_ssl.recipes.smoke import SmokeSize, smoke_eval, smoke_index, smoke_pretrain, spread_over_classes

logger = logging.getLogger(__name__)

RESULTS_FILE = "results.json"
DATA_REPORT_FILE = "data_report.json"


@dataclass
class RecipeRun:
    """What ``run_recipe`` produced: the output folder, its ``results.json`` and the typed result."""

    output_dir: Path
    results_file: Path
    result: EvalResult
    document: dict[str, Any]


def pretrain_config(recipe: Recipe, catalog: Catalog, *, smoke: SmokeSize | None = None,
                    output_dir: Path | None = None) -> PretrainConfig:
    """The recipe's validated pretraining config, its dataset resolved through ``catalog``."""
    step = recipe.pretrain
    data = apply_overrides(apply_dataset(load_yaml(resolve_config(step.config)), step.dataset, catalog),
                           step.overrides)
    if smoke is not None:
        data = smoke_pretrain(data, smoke)
    if output_dir is not None:
        data = merge(data, {"train": {"output_dir": str(output_dir)}})
    return from_dict(PretrainConfig, data, where=f"{recipe.name} pretraining ({step.config})")


def eval_config(recipe: Recipe, step: EvalStep, catalog: Catalog, *, smoke: SmokeSize | None = None,
                output_dir: Path | None = None) -> EvalConfig:
    """The validated evaluation config of one downstream step."""
    data = apply_overrides(apply_dataset(load_yaml(resolve_config(step.config)), step.dataset, catalog),
                           step.overrides)
    if smoke is not None:
        data = smoke_eval(data, smoke)
    if output_dir is not None:
        data = merge(data, {"output_dir": str(output_dir)})
    return from_dict(EvalConfig, data, where=f"{recipe.name} step {step.name} ({step.config})")


def data_report(index: VideoIndex) -> dict[str, Any]:
    """What a corpus held and held back: usable videos, and every left-out video counted by its reason."""
    return {
        "videos": len(index.records),
        "quarantined": dict(Counter(q.reason for q in index.quarantined)),
        "missing": len(index.missing),
        "dropped": dict(Counter(d.reason for d in index.dropped)),
    }


def input_size(config: PretrainConfig) -> InputSize:
    """Frames per clip and crop size of the pretraining input (what a result must be quoted with)."""
    options = config.pretext.options
    frames = next((options[k] for k in ("num_frames_per_clip", "tube_len") if k in options), 1)
    size = config.augment.output_size if config.augment is not None else 0
    height, width = (size, size) if isinstance(size, int) else size
    return InputSize(frames, height, width)


def run_recipe(recipe: Recipe, catalog: Catalog, output_dir: str | Path, *,
               smoke: SmokeSize | None = None) -> RecipeRun:
    """Pretrain, evaluate every downstream step, write ``output_dir/results.json`` (see the module docstring).

    A finished pretraining in ``output_dir/pretrain`` is reused and an interrupted one continued
    (``resume="auto"``), so running the same command again after a crash goes on where it stopped.
    """
    out = Path(output_dir)
    started = time.perf_counter()
    config = pretrain_config(recipe, catalog, smoke=smoke, output_dir=out / "pretrain")
    index = load_index_for(config.data)
    reports = {"pretrain": data_report(index)}
    log_report("pretrain", recipe.pretrain.dataset, reports["pretrain"])
    if smoke is not None:
        path = smoke_index(index, smoke.pretrain_videos, out / "smoke_data" / "pretrain.jsonl")
        config = replace(config, data=DataConfig(format="index", root=str(path)))
    trained = pretrain(config, resume="auto")
    if not trained.completed or trained.checkpoint is None:
        raise TemporalSSLError(f"pretraining of '{recipe.name}' stopped at step {trained.step}/"
                               f"{trained.total_steps}; run the same command again to continue")
    pretraining = PretrainingSummary(config.pretext.name, trained.step, trained.total_steps,
                                     trained.pretext_accuracy, trained.pretext_at_chance,
                                     str(trained.output_dir), time.perf_counter() - started)
    steps: list[tuple[EvalStep, EvalResult]] = []
    for step in recipe.evaluate:
        evaluated, reports[step.name] = run_eval_step(recipe, step, catalog, trained.checkpoint, out, smoke)
        steps.append((step, evaluated))
    info = RecipeInfo(recipe.name, recipe.paper, input_size(config),
                      {"pretrain": recipe.pretrain.dataset, **{s.name: s.dataset for s in recipe.evaluate}})
    result = combine(steps, pretraining, info, seconds=time.perf_counter() - started)
    document = recipe_document(result, steps)
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun, one process writes the summary
        write_json(out / DATA_REPORT_FILE, reports)
        write_json(out / RESULTS_FILE, document)
    return RecipeRun(out, out / RESULTS_FILE, result, document)


def run_eval_step(recipe: Recipe, step: EvalStep, catalog: Catalog, checkpoint: Path, out: Path,
                  smoke: SmokeSize | None) -> tuple[EvalResult, dict[str, Any]]:
    """One downstream protocol, reported into ``out/<step name>``; returns its result and data report."""
    config = eval_config(recipe, step, catalog, smoke=smoke, output_dir=out / step.name)
    report = data_report(load_index_for(replace(config.data, split=None)))
    log_report(step.name, step.dataset, report)
    splits = load_labeled_splits(config.data, train_split=config.train_split, test_split=config.test_split)
    if smoke is not None:
        splits = LabeledSplits(spread_over_classes(splits.train_records, smoke.eval_videos),
                               spread_over_classes(splits.test_records, smoke.eval_videos),
                               splits.class_names, splits.data)
    return evaluate(config, checkpoint, splits=splits), report


def combine(steps: list[tuple[EvalStep, EvalResult]], pretraining: PretrainingSummary, info: RecipeInfo, *,
            seconds: float) -> EvalResult:
    """One result for the whole recipe: every step's rows, each with the published values of its metrics."""
    first = steps[0][1]
    rows = []
    for step, evaluated in steps:
        published = {name: PublishedValue(value.value / 100.0, value.source, value.verification,
                                          value.note or None) for name, value in step.published.items()}
        rows += [replace(row, published=published if row.subject == PRETRAINED else {})
                 for row in evaluated.results]
    return replace(first, results=rows, pretraining=pretraining, recipe=info,
                   seconds={"pretrain": pretraining.seconds, "total": seconds})


def recipe_document(result: EvalResult, steps: list[tuple[EvalStep, EvalResult]]) -> dict[str, Any]:
    """The ``results.json`` object, each row tagged with the recipe step and dataset it comes from."""
    document = results_document(result)
    tags = [(step.name, step.dataset) for step, evaluated in steps for _ in evaluated.results]
    for row, (name, dataset) in zip(document["results"], tags, strict=True):
        row["step"], row["dataset"] = name, dataset
    return document


def write_json(path: Path, document: Any) -> Path:
    """Write ``document`` as JSON atomically (a reader never sees half a file)."""
    return write_text_atomic(path, json.dumps(document, indent=2, allow_nan=False) + "\n")


def log_report(step: str, dataset: str, report: dict[str, Any]) -> None:
    """One line per condition: usable videos, then each reason videos were left out, with its count."""
    logger.info("%s: %d usable videos in '%s'", step, report["videos"], dataset)
    for reason, count in report["quarantined"].items():
        logger.warning("%s: %d video(s) cannot be decoded: %s", step, count, reason)
    if report["missing"]:
        logger.warning("%s: %d video(s) listed in the annotations are not on disk", step, report["missing"])
    for reason, count in report["dropped"].items():
        logger.warning("%s: %d video(s) left out: %s", step, count, reason)
