"""``results.json`` follows the JSON Schema shipped in the package, and the schema rejects what it must."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import torch

from temporal_ssl.eval.metrics import classification_metrics
from temporal_ssl.eval.report import write_report
from temporal_ssl.eval.results import (
    SCHEMA_VERSION,
    ClassificationScores,
    EvalResult,
    InputSize,
    PretrainingSummary,
    ProtocolResult,
    PublishedValue,
    RecipeInfo,
    RetrievalScores,
)
from temporal_ssl.eval.results_json import SCHEMA_PATH, results_document
from tests.eval.results_schema import read_valid_results, validate_results


def _result(**extra: Any) -> EvalResult:
    logits = torch.tensor([[[2.0, 0.0, 0.0]], [[0.0, 2.0, 0.0]], [[0.0, 2.0, 0.0]]])
    labels = torch.tensor([0, 1, 2])
    metrics = classification_metrics(logits, labels, num_classes=3, class_names=["a", "b", "c"])
    scores = ClassificationScores.from_metrics(metrics)
    rows = [
        ProtocolResult("linear_probe", subject, scores, {"pooling": "global"}, {"fit": 0.5}, metrics, 9, 3)
        for subject in ("pretrained", "random_init")
    ]
    retrieval = RetrievalScores({1: 0.25, 5: 0.75})
    rows.append(ProtocolResult("retrieval", "pretrained", retrieval, num_test_videos=3))
    config = {"data": {"format": "folder", "root": "/v"}, "train_split": "train", "test_split": "test"}
    return EvalResult(rows, "r3d_tiny", {}, None, None, ["a", "b", "c"], config, **extra)


def test_schema_version_of_the_file_is_the_package_constant() -> None:
    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


def test_written_report_validates_with_pretraining_and_recipe(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    pretraining = PretrainingSummary("vcop", 10, 10, 0.5, False, str(run), 3.0)
    recipe = RecipeInfo("vcop_ucf101_r3d", "Xu et al. 2019", InputSize(16, 112, 112), {"pretrain": "ucf101"})
    result = _result(pretraining=pretraining, recipe=recipe, seconds={"pretrain": 3.0, "evaluate": 1.0})
    published = PublishedValue(0.649, "VCOP, table 4", "verified", "3-split mean")
    result.results[0].published["video_top1"] = published
    files = write_report(result, tmp_path / "report")
    saved = read_valid_results(files["json"])
    assert saved["recipe"]["input_size"] == {"frames": 16, "height": 112, "width": 112}
    assert saved["results"][0]["published"]["video_top1"]["value"] == 0.649
    assert saved["pretraining"]["pretext"] == "vcop" and saved["margin_over_random"] == {"linear_probe": 0.0}
    assert saved["dataset"]["num_classes"] == 3 and saved["chance"] == pytest.approx(1 / 3)
    assert "(paper 64.9)" in Path(files["markdown"]).read_text()
    assert Path(files["accuracy_bars_linear_probe"]).is_file()


def test_undefined_scores_are_null_not_nan() -> None:
    result = _result()
    scores = result.results[0].metrics
    assert isinstance(scores, ClassificationScores)
    result.results[0].metrics = ClassificationScores(scores.video_top1, None, None, None, float("nan"))
    result.results[0].settings["final_train_window"] = {"loss": float("inf")}
    document = results_document(result)
    validate_results(document)
    assert document["results"][0]["metrics"]["mean_class_accuracy"] is None
    assert document["results"][0]["settings"]["final_train_window"]["loss"] is None


@pytest.mark.parametrize(
    "break_it",
    [
        lambda d: d.pop("schema_version"),
        lambda d: d.update(schema_version=SCHEMA_VERSION + 1),
        lambda d: d["results"][0]["metrics"].update(video_top1=1.5),
        lambda d: d["results"][0].update(subject="imagenet"),
        lambda d: d["results"][0].pop("confusion"),
        lambda d: d["results"][2].update(metrics=d["results"][0]["metrics"]),
        lambda d: d["results"][2]["metrics"]["recall_at_k"].update({"top5": 0.5}),
        lambda d: d.update(unknown_key=1),
        lambda d: d.update(recipe={"name": "x", "paper": "y", "datasets": {}}),
    ],
    ids=["no version", "other version", "accuracy over 1", "unknown subject", "no confusion matrix",
         "retrieval with classification metrics", "bad k", "unknown key", "recipe without input size"],
)
def test_schema_rejects_broken_documents(break_it: Any) -> None:
    document = results_document(_result())
    validate_results(document)
    broken = copy.deepcopy(document)
    break_it(broken)
    with pytest.raises(jsonschema.ValidationError):
        validate_results(broken)
