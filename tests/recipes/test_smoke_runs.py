"""``tssl recipes run --smoke`` end to end on real-format data, with each recipe's own encoder and input size.

One recipe per encoder family runs in CI (``ci``); the others are ``slow`` (``pytest --runslow``). A smoke
run keeps the paper's encoder, frames and resolution and shrinks steps, videos, views and batches; these
tests check that it pretrains, runs every downstream protocol and writes ``results.json`` with each metric
beside its published value and every video the data held back accounted for.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from temporal_ssl.cli.recipes import main
from temporal_ssl.recipes import SmokeSize, load_catalog, load_recipe, recipe_names
from temporal_ssl.recipes.run import pretrain_config
from tests.eval.results_schema import read_valid_results

CI_RECIPES = {  # one per encoder family
    "vcop_ucf101_r3d": "small 3D ResNets (r3d_10, r2plus1d_10)",
    "vcop_ucf101_c3d": "C3D",
    "shuffle_and_learn_ucf101_caffenet": "CaffeNet-style 2D",
    "rho_moco_k400_slow_r50_rho2": "3D ResNet-50 (Slow-R50, R3D-50)",
    "multiview_tcn_multicamera": "2D ResNet-18",
}
SMOKE = SmokeSize(eval_videos=2)


def smoke_options(options: dict) -> dict:
    """What ``--smoke`` may shrink in a pretext's options: the TCN's moments per recording."""
    return {"num_timesteps": 4} if "num_timesteps" in options else {}


def run_smoke(name: str, catalog_file: Path, output_dir: Path) -> dict:
    """Run recipe ``name`` with ``--smoke``; check and return its ``results.json``."""
    recipe = load_recipe(name)
    assert main(["run", name, "--datasets", str(catalog_file), "--output-dir", str(output_dir), "--smoke",
                 "--smoke-videos", str(SMOKE.eval_videos)]) == 0
    results = read_valid_results(output_dir / "results.json")  # the package's results schema
    # The paper's encoder, frames and resolution, not smaller ones.
    paper = pretrain_config(recipe, load_catalog(catalog_file))
    saved = yaml.safe_load((output_dir / "pretrain" / "config.yaml").read_text())
    assert saved["model"]["encoder"] == recipe.encoder == results["encoder"]
    assert saved["pretext"]["options"] == {**paper.pretext.options, **smoke_options(paper.pretext.options)}
    size = paper.augment.output_size
    assert saved["augment"]["output_size"] == size
    assert results["recipe"]["input_size"]["height"] == (size if isinstance(size, int) else size[0])
    assert results["recipe"]["name"] == name and results["recipe"]["paper"] == recipe.paper
    assert results["pretraining"]["steps"] == results["pretraining"]["total_steps"] == 1
    rows = [r for r in results["results"] if r["subject"] == "pretrained"]
    assert [r["step"] for r in rows] == [s.name for s in recipe.evaluate]
    for step, row in zip(recipe.evaluate, rows, strict=True):
        assert row["dataset"] == step.dataset and row["num_test_videos"] == SMOKE.eval_videos
        assert read_valid_results(output_dir / step.name / "results.json")["results"]
        assert set(row["published"]) == set(step.published)
        for metric, published in step.published.items():
            assert row["published"][metric] == {"value": published.value / 100, "source": published.source,
                                                "tag": published.verification, "note": published.note or None}
    return results


def check_reports_ucf101_surprises(output_dir: Path) -> None:
    """The empty file and the missing video are reported; case-mismatched class folders are not lost."""
    reports = json.loads((output_dir / "data_report.json").read_text())
    for step, report in reports.items():
        if step.startswith("hmdb51"):
            continue
        assert sum(report["quarantined"].values()) == 1 and "empty" in next(iter(report["quarantined"]))
        assert report["missing"] == 1
    assert reports["ucf101_finetune"]["videos"] == 9  # 4 train + 5 test, HandStandPushups folders included


@pytest.mark.slow
@pytest.mark.ci
@pytest.mark.parametrize("name", sorted(CI_RECIPES))
def test_ci_smoke_one_recipe_per_encoder_family(name: str, catalog_file: Path, tmp_path: Path) -> None:
    run_smoke(name, catalog_file, tmp_path / name)
    if load_recipe(name).pretrain.dataset == "ucf101":
        check_reports_ucf101_surprises(tmp_path / name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(recipe_names()) - set(CI_RECIPES)))
def test_smoke_every_other_recipe(name: str, catalog_file: Path, tmp_path: Path) -> None:
    run_smoke(name, catalog_file, tmp_path / name)


def test_ci_covers_every_encoder_family() -> None:
    encoders = {load_recipe(name).encoder for name in recipe_names()}
    covered = {load_recipe(name).encoder for name in CI_RECIPES}
    same_family = {"r2plus1d_10": "r3d_10", "r3d_50": "slow_r50"}
    assert {same_family.get(e, e) for e in encoders} == covered
