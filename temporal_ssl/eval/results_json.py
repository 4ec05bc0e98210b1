"""``results.json``: an :class:`EvalResult` as plain JSON in the layout of ``results.schema.json``.

The schema ships beside this module (:data:`SCHEMA_PATH`); ``docs/results_schema.md`` explains each field.
Every run writes exactly one such file; NaN never reaches it (an undefined score is ``null``).
"""

from __future__ import annotations

import dataclasses
import json
import math
import platform
from pathlib import Path
from typing import Any

import torch

from temporal_ssl.atomic_write import write_text_atomic
from temporal_ssl.config import git_commit
from temporal_ssl.eval.results import (
    SCHEMA_VERSION,
    ClassificationScores,
    EvalResult,
    ProtocolResult,
    RetrievalScores,
    Scores,
)

RESULTS_JSON = "results.json"
SCHEMA_PATH = Path(__file__).with_name("results.schema.json")


def load_schema() -> dict[str, Any]:
    """The JSON Schema of ``results.json`` (validate with any JSON Schema 2020-12 validator)."""
    return json.loads(SCHEMA_PATH.read_text())


def _without_nan(value: Any) -> Any:
    """``value`` with every NaN or infinity (in settings, logged metrics ...) replaced by ``None``."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _without_nan(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_nan(item) for item in value]
    return value


def scores_to_dict(scores: Scores) -> dict[str, Any]:
    """The ``metrics`` object of a row."""
    if isinstance(scores, RetrievalScores):
        return {"recall_at_k": {str(k): v for k, v in sorted(scores.recall_at_k.items())}}
    assert isinstance(scores, ClassificationScores)
    return dataclasses.asdict(scores)


def row_to_dict(result: ProtocolResult) -> dict[str, Any]:
    """One row as plain JSON-able data (per-class accuracy keyed by class name)."""
    out: dict[str, Any] = {
        "protocol": result.protocol,
        "subject": result.subject,
        "metrics": scores_to_dict(result.metrics),
        "published": {name: dataclasses.asdict(value) for name, value in result.published.items()},
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


def results_document(result: EvalResult) -> dict[str, Any]:
    """The whole run as the ``results.json`` object (NaN and infinities as ``null``)."""
    data = result.config.get("data", {})
    margins = {
        protocol: margin
        for protocol in dict.fromkeys(r.protocol for r in result.results)
        if (margin := result.margin_over_random(protocol)) is not None
    }
    document = {
        "schema_version": SCHEMA_VERSION,
        "encoder": result.encoder,
        "encoder_options": result.encoder_options,
        "checkpoint": result.checkpoint,
        "checkpoint_sha256": result.checkpoint_sha256,
        "dataset": {
            "format": str(data.get("format")),
            "root": data.get("root"),
            "train_split": str(result.config.get("train_split")),
            "test_split": str(result.config.get("test_split")),
            "num_classes": len(result.class_names),
            "class_names": result.class_names,
        },
        "chance": result.chance,
        "pretraining": None if result.pretraining is None else dataclasses.asdict(result.pretraining),
        "recipe": None if result.recipe is None else dataclasses.asdict(result.recipe),
        "results": [row_to_dict(r) for r in result.results],
        "margin_over_random": margins,
        "seconds": result.seconds,
        "config": result.config,
        "environment": {
            "git_commit": git_commit(),
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "files": result.files,
    }
    return _without_nan(document)


def write_results_json(result: EvalResult, path: str | Path) -> Path:
    """Write ``results.json`` atomically (a reader never sees half a file)."""
    return write_text_atomic(path, json.dumps(results_document(result), indent=2, allow_nan=False) + "\n")
