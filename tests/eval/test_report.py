"""The report: results.json holds every metric, the settings, the config and the checkpoint hash; a markdown
table, a confusion-matrix PNG and a per-class CSV per classification row."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch

from temporal_ssl.eval.metrics import classification_metrics
from temporal_ssl.eval.report import write_report
from temporal_ssl.eval.results import (
    ClassificationScores,
    EvalResult,
    ProtocolResult,
    PublishedValue,
    RetrievalScores,
)


def test_report_files_hold_every_number(tmp_path: Path) -> None:
    logits = torch.tensor([[[2.0, 0.0, 0.0]], [[0.0, 2.0, 0.0]], [[0.0, 2.0, 0.0]]])
    metrics = classification_metrics(
        logits, torch.tensor([0, 1, 2]), num_classes=3, class_names=["a", "b", "c"]
    )
    probe = ProtocolResult(
        "linear_probe",
        "pretrained",
        ClassificationScores.from_metrics(metrics),
        {
            "pooling": "global",
            "test_views": {"num_clips": 10, "num_crops": 3, "num_frames_per_clip": 16, "frame_stride": 2},
        },
        {"fit": 1.5},
        metrics,
        9,
        3,
    )
    retrieval = ProtocolResult(
        "retrieval",
        "random_init",
        RetrievalScores({1: 0.25, 5: 0.75}),
        {"pooling": "vcop_map"},
        {"fit": 0.1},
        None,
        9,
        3,
        published={"recall_at_1": PublishedValue(0.125, "a paper, table 3")},
    )
    result = EvalResult(
        [probe, retrieval],
        "r3d_tiny",
        {},
        "/ckpt/step_1.pt",
        "ab" * 32,
        ["a", "b", "c"],
        {"data": {"format": "folder"}, "seed": 7},
    )
    files = write_report(result, tmp_path)
    saved = json.loads(Path(files["json"]).read_text())
    assert saved["checkpoint_sha256"] == "ab" * 32 and saved["config"]["seed"] == 7
    rows = {(r["subject"], r["protocol"]): r for r in saved["results"]}
    assert rows["pretrained", "linear_probe"]["metrics"] == pytest.approx({
        "video_top1": 2 / 3, "video_top5": None, "clip_top1": 2 / 3, "clip_top5": None,
        "mean_class_accuracy": 2 / 3,
    })
    assert rows["pretrained", "linear_probe"]["settings"]["test_views"]["num_crops"] == 3
    assert rows["pretrained", "linear_probe"]["per_class_accuracy"] == {"a": 1.0, "b": 1.0, "c": 0.0}
    assert rows["pretrained", "linear_probe"]["confusion"] == [[1, 0, 0], [0, 1, 0], [0, 1, 0]]
    assert rows["random_init", "retrieval"]["metrics"] == {"recall_at_k": {"1": 0.25, "5": 0.75}}
    assert rows["random_init", "retrieval"]["published"]["recall_at_1"]["value"] == 0.125
    markdown = Path(files["markdown"]).read_text()
    assert "| pretrained | linear_probe | 66.7 |" in markdown
    assert "| random_init | 25.0 (paper 12.5) | 75.0 |" in markdown
    assert "10×3 × 16f/s2 (global)" in markdown
    png = Path(files["confusion_pretrained_linear_probe"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(files["per_class_pretrained_linear_probe"]) as handle:
        assert list(csv.reader(handle))[1:] == [
            ["a", "1.0000", "1"],
            ["b", "1.0000", "1"],
            ["c", "0.0000", "1"],
        ]
    assert "confusion_random_init_retrieval" not in files
