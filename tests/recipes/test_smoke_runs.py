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

from temporal_ssl.recipes import SmokeSize, load_catalog, load_recipe, recipe_names, run_recipe
from temporal_ssl.recipes.run import pretrain_config

CI_RECIPES = {  # one per encoder family
    "vcop_ucf101_r3d": "small 3D ResNets (r3d_10, r2plus1d_10)",
    "vcop_ucf101_c3d": "C3D",
    "shuffle_and_learn_ucf101_caffenet": "CaffeNet-style 2D",
    "rho_byol_k400_slow_r50_rho2": "3D ResNet-50 (Slow-R50, R3D-50)",
    "multiview_tcn_multicamera": "2D ResNet-18",
}
SMOKE = SmokeSize(steps=1, batch_size=2, pretrain_videos=2, eval_videos=2)


def run_smoke(name: str, catalog_file: Path, output_dir: Path) -> dict:
    recipe = load_recipe(name)
    run = run_recipe(recipe, load_catalog(catalog_file), output_dir, smoke=SMOKE)
    results = json.loads(run.results_file.read_text())
    assert results == json.loads(json.dumps(run.results))
    # The paper's encoder, frames and resolution, not smaller ones.
    paper = pretrain_config(recipe, load_catalog(catalog_file))
    saved = yaml.safe_load((output_dir / "pretrain" / "config.yaml").read_text())
    assert saved["model"]["encoder"] == recipe.encoder == results["encoder"]
    assert saved["augment"]["output_size"] == paper.augment.output_size == results["input"]["crop_size"]
    assert saved["pretext"]["options"] == paper.pretext.options
    assert results["recipe"] == name and results["smoke"] is True and results["pretrain"]["steps"] == SMOKE.steps
    assert [e["name"] for e in results["evaluations"]] == [s.name for s in recipe.evaluate]
    for step, evaluation in zip(recipe.evaluate, results["evaluations"], strict=True):
        assert (output_dir / step.name / "results.json").is_file()
        assert evaluation["num_test_videos"] == SMOKE.eval_videos
        for metric in evaluation["metrics"]:
            published = step.published[metric["metric"]]
            assert metric["published"] == published.value and metric["verification"] == published.verification
            assert 0.0 <= metric["value"] <= 100.0
        assert evaluation["measured"], f"{step.name} reported no metric"
    return results


def check_reports_ucf101_surprises(results: dict, step: dict) -> None:
    """The empty file and the missing video are reported; case-mismatched class folders are not lost."""
    for report in (results["pretrain"]["data"], step["data"]):
        assert sum(report["quarantined"].values()) == 1 and "empty" in next(iter(report["quarantined"]))
        assert report["missing"] == 1
    assert step["data"]["videos"] == 9  # 4 train + 5 test, HandStandPushups folders included


@pytest.mark.slow
@pytest.mark.ci
@pytest.mark.parametrize("name", sorted(CI_RECIPES))
def test_ci_smoke_one_recipe_per_encoder_family(name: str, catalog_file: Path, tmp_path: Path) -> None:
    results = run_smoke(name, catalog_file, tmp_path / name)
    ucf_steps = [e for e in results["evaluations"] if e["dataset"] == "ucf101"]
    if load_recipe(name).pretrain.dataset == "ucf101":
        check_reports_ucf101_surprises(results, ucf_steps[0])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(recipe_names()) - set(CI_RECIPES)))
def test_smoke_every_other_recipe(name: str, catalog_file: Path, tmp_path: Path) -> None:
    run_smoke(name, catalog_file, tmp_path / name)


def test_ci_covers_every_encoder_family() -> None:
    encoders = {load_recipe(name).encoder for name in recipe_names()}
    covered = {load_recipe(name).encoder for name in CI_RECIPES}
    same_family = {"r2plus1d_10": "r3d_10", "r3d_50": "slow_r50"}
    assert {same_family.get(e, e) for e in encoders} == covered
