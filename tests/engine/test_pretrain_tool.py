"""End-to-end pretraining through ``tools/pretrain.py`` and ``pretrain()`` on a tiny generated corpus.

The corpus is the package's own synthetic generator at toy size (real H.264 files, probed, decoded and
augmented by the real pipeline). One quick run is marked ``ci``; the others (exact resume
through the real loader with worker processes, every pretext config) are ``slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from temporal_ssl.cli.pretrain import main as pretrain_main
from temporal_ssl.config import to_dict
from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, list_checkpoints, load_checkpoint
from temporal_ssl.engine.metrics_log import read_metrics
from temporal_ssl.engine.pretrain import pretrain
from temporal_ssl.engine.pretrain_config import load_pretrain_config
from temporal_ssl.engine.pretrained import load_pretrained
from temporal_ssl.synthetic.corpus import CorpusOptions, generate_corpus

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / "tools" / "pretrain.py"
CONFIGS = REPO / "configs" / "pretrain"
QUICK = [
    "augment.output_size=32",  # the input size, set explicitly: a --data file other than the synthetic corpus
    "loader.batch_size=4",
    "loader.num_workers=0",
    "train.log_every_steps=1",
    "train.progress_bar=false",
    "train.checkpoint_every_steps=2",
    "train.device=cpu",
]


def _corpus(root: Path, cameras: int) -> Path:
    options = CorpusOptions(
        num_pretrain_scenes=16, num_train_per_class=1, num_test_per_class=1, num_cameras=cameras
    )
    paths = generate_corpus(root, options, workers=1, progress=False)
    data_file = root / "data.yaml"
    data_file.write_text(f"data:\n  format: multicamera\n  root: {paths.pretrain}\n  split: null\n")
    return data_file


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``--data`` file naming 16 single-camera synthetic scenes (32 frames of 32x32)."""
    return _corpus(tmp_path_factory.mktemp("tiny_corpus"), cameras=1)


@pytest.fixture(scope="session")
def tiny_multicamera_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same with 3 synchronised cameras per scene (multi-view TCN)."""
    return _corpus(tmp_path_factory.mktemp("tiny_corpus3"), cameras=3)


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *args], capture_output=True, text=True, timeout=600, cwd=REPO
    )


@pytest.mark.slow
@pytest.mark.ci
def test_pretrain_tool_runs_saves_and_resumes(tmp_path: Path, tiny_data: Path) -> None:
    out = tmp_path / "run"
    first = _tool(
        "--config",
        str(CONFIGS / "default.yaml"),
        "--data",
        str(tiny_data),
        "--output-dir",
        str(out),
        "--max-steps",
        "4",
        *QUICK,
    )
    assert first.returncode == 0, first.stderr[-4000:]
    assert f"outputs: {out}/" in first.stdout and f"checkpoint: {out / CHECKPOINT_DIRNAME}" in first.stdout
    for name in ("config.yaml", "metrics.jsonl", "loss_curve.png", "summary.json"):
        assert (out / name).is_file(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["completed"] and summary["step"] == 4 and summary["num_classes"] == 6  # VCOP: 3! orders
    assert [s for s, _ in list_checkpoints(out / CHECKPOINT_DIRNAME)] == [2, 4]
    # the saved config is the resolved one: loading it back gives the same config
    saved = load_pretrain_config(out / "config.yaml")
    assert saved.train.max_steps == 4 and saved.train.output_dir == str(out)
    assert to_dict(saved) == load_checkpoint(out / CHECKPOINT_DIRNAME / "step_00000004.pt")["config"]

    # the checkpoint rebuilds the trained model for evaluation
    pretrained = load_pretrained(out / CHECKPOINT_DIRNAME / "step_00000004.pt")
    assert pretrained.step == 4 and not pretrained.model.training and pretrained.encoder.num_features == 128
    weights = load_checkpoint(out / CHECKPOINT_DIRNAME / "step_00000004.pt")["model"]
    assert all(torch.equal(weights[k], v) for k, v in pretrained.model.state_dict().items())

    more = _tool(
        "--config",
        str(CONFIGS / "default.yaml"),
        "--data",
        str(tiny_data),
        "--output-dir",
        str(out),
        "--max-steps",
        "6",
        "--resume",
        "auto",
        *QUICK,
    )
    assert more.returncode == 0, more.stderr[-4000:]
    assert [r["step"] for r in read_metrics(out / "metrics.jsonl")] == [1, 2, 3, 4, 5, 6]
    assert [s for s, _ in list_checkpoints(out / CHECKPOINT_DIRNAME)] == [4, 6]  # keep_checkpoints: 2


@pytest.mark.slow
def test_real_pipeline_resume_with_worker_processes_is_bit_exact(tmp_path: Path, tiny_data: Path) -> None:
    overrides = [o for o in QUICK if "num_workers" not in o] + ["loader.num_workers=2", "train.max_steps=4"]
    config = load_pretrain_config(
        CONFIGS / "cvrl.yaml", [*overrides, f"train.output_dir={tmp_path / 'a'}"], data_path=tiny_data
    )
    straight = pretrain(config)
    resumed_config = load_pretrain_config(
        CONFIGS / "cvrl.yaml", [*overrides, f"train.output_dir={tmp_path / 'b'}"], data_path=tiny_data
    )
    resumed = pretrain(resumed_config, resume=str(tmp_path / "a" / CHECKPOINT_DIRNAME / "step_00000002.pt"))
    assert straight.completed and resumed.completed
    expected = load_checkpoint(straight.checkpoint)["model"]
    got = load_checkpoint(resumed.checkpoint)["model"]
    for key, value in expected.items():
        assert torch.equal(got[key], value), key


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(p.stem for p in CONFIGS.glob("*.yaml")))
def test_every_pretext_config_pretrains(
    tmp_path: Path, name: str, tiny_data: Path, tiny_multicamera_data: Path
) -> None:
    data = tiny_multicamera_data if name == "multiview_tcn" else tiny_data
    done = _tool(
        "--config",
        str(CONFIGS / f"{name}.yaml"),
        "--data",
        str(data),
        "--output-dir",
        str(tmp_path),
        "--max-steps",
        "2",
        *QUICK,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["completed"] and all(isinstance(v, float) for v in summary["metrics"].values())


def _dry_run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = pretrain_main([*args, "--dry-run"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_synthetic_config_on_real_data_stops_naming_the_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    ucf101 = ["--config", "vcop", "--data", "ucf101", "data.root=/datasets/UCF-101"]
    code, out, err = _dry_run(capsys, *ucf101)
    assert code == 2 and "config OK" not in out
    assert "tuned for the embedded synthetic corpus" in err and "vcop_ucf101_r3d" in err
    assert "augment.output_size" in err and "'ucf101'" in err
    code, _, err = _dry_run(capsys, "--config", "cvrl", "--data", "kinetics", "data.root=/k400")
    assert code == 2 and "cvrl_k400_r3d50" in err
    code, _, err = _dry_run(capsys, "--config", "arrow_of_time", "--data", "ucf101", "data.root=/u")
    assert code == 2 and "No published recipe implements 'arrow_of_time'" in err


def test_explicit_input_size_or_the_synthetic_corpus_runs(capsys: pytest.CaptureFixture[str]) -> None:
    ucf101 = ["--config", "vcop", "--data", "ucf101", "data.root=/datasets/UCF-101"]
    code, out, err = _dry_run(capsys, *ucf101, "augment.output_size=112", "train.device=cpu")
    assert code == 0 and "config OK: pretext 'vcop'" in out, err
    code, out, err = _dry_run(capsys, "--config", "vcop", "train.device=cpu")
    assert code == 0 and "config OK" in out, err


def test_each_family_names_a_packaged_recipe_of_its_pretext() -> None:
    from temporal_ssl.cli.pretrain import FAMILY_RECIPES
    from temporal_ssl.recipes.recipe import load_recipe, recipe_names

    assert set(FAMILY_RECIPES.values()) <= set(recipe_names())
    for pretext, name in FAMILY_RECIPES.items():
        assert load_recipe(name).method == pretext, name
