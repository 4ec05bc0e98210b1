"""The main job end to end: ``tools/pretrain.py --compare`` pretrains, evaluates against both baselines with
the corpus's own protocol and writes one report folder with one schema-checked ``results.json``; and the
comparison's views and budgets come from the evaluated dataset's protocol."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from temporal_ssl.errors import ConfigError
from temporal_ssl.eval.dataset_protocols import COMPARISON_CONFIGS, comparison_config
from temporal_ssl.pipeline.records import DataConfig
from tests.eval.results_schema import read_valid_results
from tests.eval.test_end_to_end import CORPUS, TINY_ENCODER

REPO = Path(__file__).resolve().parents[2]
SMALL_COMPARISON = [
    "finetune.max_steps=2", "finetune.loader.batch_size=4", "finetune.loader.num_workers=0",
    "finetune.progress_bar=false", "extraction.num_workers=0", "extraction.progress_bar=false",
]


@pytest.mark.slow
@pytest.mark.ci
def test_pretrain_compare_writes_one_report(tmp_path: Path) -> None:
    run = tmp_path / "run"
    evaluation = [f"--eval={override}" for override in SMALL_COMPARISON]
    command = [
        sys.executable, str(REPO / "tools" / "pretrain.py"), "--compare", *evaluation,
        "--max-steps", "3", "--output-dir", str(run), f"data.root={tmp_path / 'corpus'}", *CORPUS,
        TINY_ENCODER, "train.device=cpu", "loader.batch_size=4", "loader.num_workers=0",
        "train.progress_bar=false",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr[-3000:]
    report = run / "report"
    results = read_valid_results(report / "results.json")
    assert [p.relative_to(run).as_posix() for p in run.rglob("results.json")] == ["report/results.json"]
    probe = {r["subject"]: r for r in results["results"] if r["protocol"] == "linear_probe"}
    assert set(probe) == {"pretrained", "random_init", "supervised_scratch"}
    top1 = {name: row["metrics"]["video_top1"] for name, row in probe.items()}
    margin = top1["pretrained"] - top1["random_init"]
    assert results["margin_over_random"]["linear_probe"] == pytest.approx(margin)
    assert results["chance"] == pytest.approx(1 / 4) and results["pretraining"]["steps"] == 3
    assert results["pretraining"]["pretext"] == "vcop"
    supervised = next(r for r in results["results"] if r["protocol"] == "finetune")
    assert supervised["subject"] == "supervised_scratch" and supervised["settings"]["steps"] == 2
    assert probe["pretrained"]["settings"]["test_views"]["num_frames_per_clip"] == 12  # the corpus's protocol
    for name in ("results.md", "loss_curve.png", "accuracy_bars_linear_probe.png"):
        assert (report / name).is_file(), name
    for name in ("pretrained", "random_init", "supervised_scratch"):
        assert f"{name}: linear_probe video top-1 {100 * top1[name]:.1f} %" in done.stdout
    assert f"report: {report}/" in done.stdout
    assert results["files"]["json"] == str(report / "results.json")


def test_supervised_baseline_trains_and_tests_on_the_probe_views() -> None:
    """On the synthetic corpus the baseline trains on the probe's clips, each spanning most of a video."""
    config = comparison_config(DataConfig())
    views = config.linear_probe.features.test_views
    supervised = config.finetune
    assert config.baselines == ("random_init", "supervised_scratch")
    assert (supervised.num_frames_per_clip, supervised.frame_stride) == (views.num_frames_per_clip,
                                                                         views.frame_stride)
    assert supervised.test_views == views == config.linear_probe.features.views_for_train
    span = (views.num_frames_per_clip - 1) * views.frame_stride + 1
    assert 2 * 32 // 3 <= span <= 32  # the classes differ in how motion unfolds over the whole video


def test_comparison_on_ucf101_uses_the_ucf101_protocol() -> None:
    """Views, batch and schedule come from UCF101's protocol, never from the synthetic corpus's settings."""
    data = DataConfig(format="ucf101", root="/datasets/UCF-101", split="train", split_number=2)
    config = comparison_config(data, ["seed=3"], seed=1, device="cpu")
    synthetic = comparison_config(DataConfig())
    views = config.linear_probe.features.test_views
    assert (views.num_clips, views.num_frames_per_clip, views.transform.crop_size) == (10, 16, 112)
    assert config.linear_probe.features.pooling == "global"
    assert (config.finetune.loader.batch_size, config.finetune.epochs) == (8, 150)
    assert config.finetune.augment is not None and config.finetune.augment.output_size == 112
    assert config.finetune != synthetic.finetune
    assert (config.data.root, config.data.split_number, config.data.split) == ("/datasets/UCF-101", 2, None)
    assert (config.seed, config.device, config.use_checkpoint_corpus) == (3, "cpu", False)


def test_comparison_without_a_protocol_names_the_way_out(tmp_path: Path) -> None:
    data = DataConfig(format="folder", root=str(tmp_path))
    with pytest.raises(ConfigError, match="no evaluation protocol .* 'folder'.*--eval-config"):
        comparison_config(data)
    own = tmp_path / "mine.yaml"
    ucf101 = REPO / "configs/eval/ucf101/comparison.yaml"
    own.write_text(f"include: {ucf101}\nfinetune: {{epochs: 3}}\n")
    assert comparison_config(data, path=own).finetune.epochs == 3


@pytest.mark.parametrize("data_format", sorted(COMPARISON_CONFIGS))
def test_every_dataset_comparison_probes_both_baselines(data_format: str) -> None:
    root = None if data_format == "synthetic" else "/datasets/x"
    config = comparison_config(DataConfig(format=data_format, root=root, split=None))
    assert config.protocols == ("linear_probe",) and config.data.format == data_format
    assert config.baselines == ("random_init", "supervised_scratch")
    probe_frames = config.linear_probe.features.test_views.num_frames_per_clip
    assert config.finetune.num_frames_per_clip == probe_frames  # the baseline trains on the probe's clips


def test_a_signal_during_pretraining_stops_the_main_job_with_the_signal_exit_code(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from temporal_ssl.cli.failure import report_failure
    from temporal_ssl.engine.pretrain_config import load_pretrain_config
    from temporal_ssl.engine.run import PretrainResult
    from temporal_ssl.engine.signals import TrainingStopped
    module = importlib.import_module("temporal_ssl.eval.pretrain_and_evaluate")  # not the package's function
    checkpoint = tmp_path / "checkpoints" / "step_00000040.pt"
    stopped = PretrainResult(tmp_path, checkpoint, step=40, total_steps=100, stopped_by_signal=signal.SIGINT)
    monkeypatch.setattr(module, "pretrain", lambda config, resume=None: stopped)
    monkeypatch.setattr(module, "evaluate", lambda *args, **kwargs: pytest.fail("evaluated a stopped run"))
    config = load_pretrain_config(REPO / "configs" / "pretrain" / "default.yaml", [f"data.root={tmp_path}"])
    with pytest.raises(TrainingStopped) as raised:
        module.pretrain_and_evaluate(config, eval_overrides=SMALL_COMPARISON)
    assert raised.value.checkpoint == checkpoint
    assert report_failure(raised.value) == 128 + signal.SIGINT
    assert "pretraining stopped by SIGINT" in capsys.readouterr().err
    assert report_failure(ConfigError("bad key")) == 2
    assert capsys.readouterr().err == "error: bad key\n"
