"""``--checkpoint RUN_DIR``: a pretraining run folder stands for its latest checkpoint."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from temporal_ssl.cli import evaluate as evaluate_cli
from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, checkpoint_path
from temporal_ssl.errors import CheckpointError
from temporal_ssl.eval.evaluate import default_output_dir, resolve_checkpoint
from temporal_ssl.recipes import load_recipe, recipe_names
from temporal_ssl.recipes.recipe import eval_command, pretrain_command


def test_a_run_folder_means_its_latest_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "vcop_run"
    for step in (50, 200, 100):
        checkpoint_path(run / CHECKPOINT_DIRNAME, step).parent.mkdir(parents=True, exist_ok=True)
        checkpoint_path(run / CHECKPOINT_DIRNAME, step).write_bytes(b"")
    (run / CHECKPOINT_DIRNAME / "step_00000300.pt.tmp").write_bytes(b"")  # an unfinished save is not one
    latest = checkpoint_path(run / CHECKPOINT_DIRNAME, 200)
    assert resolve_checkpoint(run) == latest
    assert resolve_checkpoint(run / CHECKPOINT_DIRNAME) == latest
    assert resolve_checkpoint(latest) == latest and resolve_checkpoint("random") == "random"
    assert default_output_dir(resolve_checkpoint(run)).name == "vcop_run"  # the report is named after the run


def test_a_run_folder_without_checkpoints_is_a_clear_error(tmp_path: Path, capsys) -> None:
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        resolve_checkpoint(tmp_path)
    assert evaluate_cli.main(["--checkpoint", str(tmp_path), "--output-dir", str(tmp_path / "report")]) == 2
    assert str(tmp_path) in capsys.readouterr().err
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("name", recipe_names())
def test_recipe_commands_evaluate_the_pretraining_run_folder(name: str) -> None:
    recipe = load_recipe(name)
    pretrain_words = shlex.split(pretrain_command(recipe))
    run_dir = pretrain_words[pretrain_words.index("--output-dir") + 1]
    for step in recipe.evaluate:
        words = shlex.split(eval_command(recipe, step))
        assert words[words.index("--checkpoint") + 1] == run_dir
