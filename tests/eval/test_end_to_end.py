"""A checkpoint written by the engine's pretrain(config) loads and evaluates end to end on a tiny generated
synthetic corpus, through the package function and through tools/evaluate.py and tools/extract_features.py."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
import torch

from temporal_ssl.engine.pretrain import pretrain
from temporal_ssl.engine.pretrain_config import load_pretrain_config
from temporal_ssl.eval import comparison_config, evaluate, load_eval_config
from temporal_ssl.eval.results import ClassificationScores
from temporal_ssl.eval.results_json import scores_to_dict
from tests.eval.results_schema import read_valid_results

REPO = Path(__file__).resolve().parents[2]


def load_tool(name: str) -> ModuleType:
    """``tools/<name>.py`` as a module (tools are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"tool_{name}", REPO / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TINY_ENCODER = (
    "model.encoder_options={widths: [8, 16, 16], temporal_strides: [1, 2, 2], spatial_strides: [2, 2, 2]}"
)
CORPUS = [
    "data.synthetic.num_pretrain_scenes=16",
    "data.synthetic.num_train_per_class=8",
    "data.synthetic.num_test_per_class=2",
    "data.synthetic.num_classes=4",
    "data.workers=1",
]
SMALL_EVAL = [
    "extraction.num_workers=0",
    "extraction.progress_bar=false",
    "finetune.progress_bar=false",
    "finetune.max_steps=2",
    "finetune.loader.batch_size=4",
    "finetune.loader.num_workers=0",
    "linear_probe.features.test_views.num_clips=2",
    "linear_probe.features.train_views.num_clips=2",
    "linear_probe.max_iterations=20",
    "knn.k=3",
    "retrieval.features.test_views.num_clips=3",
    "finetune.test_views.num_clips=2",
    "device=cpu",
    "data.workers=1",
]


@pytest.fixture(scope="session")
def pretrained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The checkpoint of 2 steps of the default pretext (tiny encoder) on a generated 4-class corpus."""
    root = tmp_path_factory.mktemp("e2e")
    config = load_pretrain_config(
        REPO / "configs" / "pretrain" / "default.yaml",
        [
            f"data.root={root / 'corpus'}",
            *CORPUS,
            TINY_ENCODER,
            "train.max_steps=2",
            "train.device=cpu",
            "loader.batch_size=4",
            "loader.num_workers=0",
            f"train.output_dir={root / 'run'}",
            "train.progress_bar=false",
        ],
    )
    result = pretrain(config)
    assert result.checkpoint is not None
    return result.checkpoint


@pytest.mark.slow
@pytest.mark.ci
def test_engine_checkpoint_runs_a_linear_probe(pretrained: Path, tmp_path: Path) -> None:
    config = load_eval_config(
        REPO / "configs" / "eval" / "linear_probe.yaml",
        [
            *SMALL_EVAL,
            "linear_probe.weight_decay=0.01",
            f"output_dir={tmp_path / 'report'}",
            f"extraction.cache_dir={tmp_path / 'cache'}",
        ],
    )
    result = evaluate(config, pretrained)
    row = result.get("linear_probe")
    assert result.checkpoint_sha256 == hashlib.sha256(pretrained.read_bytes()).hexdigest()
    assert result.encoder == "r3d_tiny" and result.encoder_options["widths"] == [8, 16, 16]
    assert (
        row.num_train_videos == 32 and row.num_test_videos == 8
    )  # the checkpoint's own corpus, labeled part
    assert isinstance(row.metrics, ClassificationScores)
    assert 0.0 <= row.metrics.video_top1 <= 1.0 and row.metrics.clip_top1 is not None
    assert row.settings["feature_dim"] == 16 * 4  # keep_time: D x T' with T' = 16 / 2 / 2
    saved = read_valid_results(tmp_path / "report" / "results.json")
    assert saved["checkpoint_sha256"] == result.checkpoint_sha256
    assert saved["results"][0]["metrics"] == scores_to_dict(row.metrics)
    assert saved["config"]["linear_probe"]["features"]["pooling"] == "keep_time"
    assert row.settings["weight_decay"] == 0.01
    assert (tmp_path / "report" / "confusion_pretrained_linear_probe.png").is_file()


@pytest.mark.slow
def test_evaluate_tool_runs_every_protocol_with_both_baselines(
    pretrained: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    evaluate_tool = load_tool("evaluate")

    out = tmp_path / "all"
    code = evaluate_tool.main(
        [
            "--checkpoint",
            str(pretrained),
            "--config",
            str(REPO / "configs/eval/all.yaml"),
            "--baselines",
            "--output-dir",
            str(out),
            *SMALL_EVAL,
            f"extraction.cache_dir={tmp_path / 'cache'}",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert str(out / "results.json") in printed
    saved = read_valid_results(out / "results.json")
    rows = {(r["subject"], r["protocol"]) for r in saved["results"]}
    for subject in ("pretrained", "random_init", "supervised_scratch"):
        assert {(subject, "linear_probe"), (subject, "knn"), (subject, "retrieval")} <= rows
    assert {("pretrained", "finetune"), ("supervised_scratch", "finetune")} <= rows
    retrieval = next(r for r in saved["results"] if r["protocol"] == "retrieval")
    assert set(retrieval["metrics"]["recall_at_k"]) == {"1", "5", "10", "20", "50"}
    assert retrieval["metrics"]["recall_at_k"]["50"] == 1.0  # 32 gallery videos of 4 classes: all are in
    finetune = next(
        r for r in saved["results"] if r["subject"] == "pretrained" and r["protocol"] == "finetune"
    )
    assert finetune["settings"]["steps"] == 2
    tuned = torch.load(finetune["settings"]["checkpoint"], weights_only=True)
    assert tuned["config"]["model"]["encoder"] == "r3d_tiny"
    assert (out / "results.md").read_text().count("| supervised_scratch |") == 4


@pytest.mark.slow
def test_extract_features_tool_writes_features_and_an_index(pretrained: Path, tmp_path: Path) -> None:
    extract_features = load_tool("extract_features")

    output = tmp_path / "test.npy"
    assert (
        extract_features.main(
            [
                "--checkpoint",
                str(pretrained),
                "--split",
                "test",
                "--output",
                str(output),
                "--pooling",
                "maps",
                *SMALL_EVAL,
            ]
        )
        == 0
    )
    import numpy as np

    features = np.load(output)
    index = json.loads(output.with_suffix(".index.json").read_text())
    assert features.shape == (8, 2, 16 * 4 * 4 * 4)  # 8 test videos, 2 clips, flattened [16, 4, 4, 4] maps
    assert index["metadata"]["feature_map_shape"] == [16, 4, 4, 4]
    assert [v["label"] for v in index["videos"]] == sorted(v["label"] for v in index["videos"])
    assert index["metadata"]["checkpoint_sha256"] == hashlib.sha256(pretrained.read_bytes()).hexdigest()


@pytest.mark.slow
def test_comparison_of_the_corpus_gives_the_three_rows(pretrained: Path, tmp_path: Path) -> None:
    """The synthetic corpus's own comparison protocol: both baselines under its linear probe, one report."""
    run_config = load_pretrain_config(
        REPO / "configs" / "pretrain" / "default.yaml",
        [f"data.root={pretrained.parents[2] / 'corpus'}", *CORPUS],
    )
    config = comparison_config(
        run_config.data,
        [*SMALL_EVAL, f"extraction.cache_dir={tmp_path / 'cache'}"],
        output_dir=tmp_path / "cmp",
    )
    assert config.baselines == ("random_init", "supervised_scratch") and config.finetune.max_steps == 2
    result = evaluate(config, pretrained)
    assert [r.subject for r in result.results if r.protocol == "linear_probe"] == [
        "pretrained", "random_init", "supervised_scratch"
    ]
    supervised = result.get("finetune", "supervised_scratch")
    assert supervised.settings["steps"] == 2 and result.chance == 0.25
    margin = result.get("linear_probe").metrics.top1 - result.get("linear_probe", "random_init").metrics.top1
    assert result.margin_over_random("linear_probe") == margin
    saved = read_valid_results(tmp_path / "cmp" / "results.json")
    assert saved["margin_over_random"] == {"linear_probe": margin}
    assert sorted(p.name for p in (tmp_path / "cmp").glob("*.json")) == ["results.json"]
    for kind in ("markdown", "accuracy_bars_linear_probe"):
        assert Path(result.files[kind]).is_file()
