"""``run_recipe``: pretrain as the paper did, run every downstream protocol, write one ``results.json``.

Layout of the output folder::

    DIR/pretrain/            the pretraining run (config, metrics, checkpoints)
    DIR/<step name>/         one evaluation report per downstream protocol
    DIR/results.json         the recipe, encoder, input size, and each metric beside its published value

Every data step reports what the corpus held back (undecodable, missing, too short ...) in ``results.json``
and as one line per condition on the console, so nothing is lost silently.
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

from temporal_ssl.config import apply_overrides, from_dict, load_yaml, merge
from temporal_ssl.config_files import resolve_config
from temporal_ssl.data.index import VideoIndex
from temporal_ssl.engine.pretrain import pretrain
from temporal_ssl.engine.pretrain_config import PretrainConfig
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.eval import evaluate
from temporal_ssl.eval.config import EvalConfig
from temporal_ssl.eval.labeled_data import LabeledSplits, load_labeled_splits
from temporal_ssl.pipeline.records import DataConfig, load_index_for
from temporal_ssl.recipes.catalog import Catalog, apply_dataset
from temporal_ssl.recipes.recipe import EvalStep, Recipe
from temporal_ssl.recipes.smoke import SmokeSize, smoke_eval, smoke_index, smoke_pretrain, spread_over_classes

logger = logging.getLogger(__name__)

RESULTS_FILE = "results.json"
SCHEMA_VERSION = 1


@dataclass
class RecipeRun:
    """What ``run_recipe`` produced: the results file and its content."""

    output_dir: Path
    results_file: Path
    results: dict[str, Any]


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


def input_summary(config: PretrainConfig) -> dict[str, Any]:
    """Frames per clip, stride and crop size of the pretraining input (what a result must be quoted with)."""
    options = config.pretext.options
    frames = next((options[k] for k in ("num_frames_per_clip", "tube_len") if k in options), 1)
    size = config.augment.output_size if config.augment is not None else None
    return {"frames_per_clip": frames, "frame_stride": options.get("frame_stride", 1), "crop_size": size}


def run_recipe(recipe: Recipe, catalog: Catalog, output_dir: str | Path, *,
               smoke: SmokeSize | None = None) -> RecipeRun:
    """Pretrain, evaluate every downstream step, write ``output_dir/results.json`` (see the module docstring).

    A finished pretraining in ``output_dir/pretrain`` is resumed (``--resume auto``), so a rerun after a
    crash continues where it stopped.
    """
    out = Path(output_dir)
    started = time.monotonic()
    config = pretrain_config(recipe, catalog, smoke=smoke, output_dir=out / "pretrain")
    index = load_index_for(config.data)
    pre_report = data_report(index)
    log_report("pretraining", recipe.pretrain.dataset, pre_report)
    if smoke is not None:
        path = smoke_index(index, smoke.pretrain_videos, out / "smoke_data" / "pretrain.jsonl")
        config = replace(config, data=DataConfig(format="index", root=str(path)))
    trained = pretrain(config, resume="auto")
    if trained.checkpoint is None or trained.stopped_by_signal is not None:
        raise TemporalSSLError(f"pretraining of '{recipe.name}' stopped at step {trained.step}/"
                               f"{trained.total_steps}; rerun the same command to continue")
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": "recipe",
        "recipe": recipe.name,
        "paper": recipe.paper,
        "method": recipe.method,
        "encoder": config.model.encoder,
        "input": input_summary(config),
        "smoke": smoke is not None,
        "pretrain": {"dataset": recipe.pretrain.dataset, "config": recipe.pretrain.config,
                     "checkpoint": str(trained.checkpoint), "steps": trained.step, "data": pre_report,
                     "pretext_accuracy": trained.pretext_accuracy},
        "evaluations": [],
        "caveats": list(recipe.caveats),
    }
    for step in recipe.evaluate:
        results["evaluations"].append(run_eval_step(recipe, step, catalog, trained.checkpoint, out, smoke))
    results["seconds"] = round(time.monotonic() - started, 1)
    path = out / RESULTS_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=2) + "\n")
    os.replace(tmp, path)
    return RecipeRun(out, path, results)


def run_eval_step(recipe: Recipe, step: EvalStep, catalog: Catalog, checkpoint: Path, out: Path,
                  smoke: SmokeSize | None) -> dict[str, Any]:
    """One downstream protocol: its metrics (in percent) beside the published values."""
    config = eval_config(recipe, step, catalog, smoke=smoke, output_dir=out / step.name)
    splits = load_labeled_splits(config.data, train_split=config.train_split, test_split=config.test_split)
    report = data_report(load_index_for(replace(config.data, split=None)))
    log_report(step.name, step.dataset, report)
    if smoke is not None:
        splits = LabeledSplits(spread_over_classes(splits.train_records, smoke.eval_videos),
                               spread_over_classes(splits.test_records, smoke.eval_videos),
                               splits.class_names, splits.data)
    evaluated = evaluate(config, checkpoint, splits=splits)
    measured = {k: 100.0 * v for row in evaluated.results if row.subject == "pretrained"
                for k, v in row.metrics.items()}
    metrics = [{"metric": name, "value": measured.get(name), "published": value.value,
                "verification": value.verification, "source": value.source, "note": value.note}
               for name, value in step.published.items()]
    return {"name": step.name, "config": step.config, "dataset": step.dataset,
            "protocols": list(config.protocols), "output_dir": str(out / step.name), "data": report,
            "num_train_videos": len(splits.train_records), "num_test_videos": len(splits.test_records),
            "metrics": metrics, "measured": measured, "proxy": step.proxy}


def log_report(step: str, dataset: str, report: dict[str, Any]) -> None:
    """One line per condition: usable videos, then each reason videos were left out, with its count."""
    logger.info("%s: %d usable videos in '%s'", step, report["videos"], dataset)
    for reason, count in report["quarantined"].items():
        logger.warning("%s: %d video(s) cannot be decoded: %s", step, count, reason)
    if report["missing"]:
        logger.warning("%s: %d video(s) listed in the annotations are not on disk", step, report["missing"])
    for reason, count in report["dropped"].items():
        logger.warning("%s: %d video(s) left out: %s", step, count, reason)
