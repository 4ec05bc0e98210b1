"""Every packaged recipe parses, validates at the paper's size, and publishes metrics its protocols report."""

from __future__ import annotations

import json
import shlex
import typing

import pytest

import temporal_ssl.models  # noqa: F401  (registers the encoders)
from temporal_ssl.cli.recipes import main
from temporal_ssl.config_files import resolve_config
from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.recipes import load_recipe, recipe_names
from temporal_ssl.recipes.run import eval_config, pretrain_config
from temporal_ssl.registry import ENCODERS

RECIPES = recipe_names()
# Every row the issue asks for, by method and encoder.
EXPECTED = {
    ("shuffle_and_learn", "caffenet_2d"), ("opn", "caffenet_2d"), ("vcop", "c3d"), ("vcop", "r3d_10"),
    ("vcop", "r2plus1d_10"), ("playback_speed", "r2plus1d_10"), ("cvrl", "r3d_50"), ("rho_clips", "slow_r50"),
    ("multiview_tcn", "resnet18_2d"), ("tracking", "caffenet_2d"),
}
# Where a paper's input is smaller than 112 pixels (OPN's frame patches).
SMALL_INPUT = {"opn_ucf101_caffenet": 80}
CATALOG = {name: {"root": f"/datasets/{name}"} for name in
           ("ucf101", "hmdb51", "kinetics400", "multicamera", "unlabeled_videos")}


def missing_components(recipe_name: str) -> list[str]:
    """Encoders or optimisers the recipe names that this checkout does not provide yet."""
    recipe = load_recipe(recipe_name)
    missing = [] if recipe.encoder in ENCODERS else [f"encoder {recipe.encoder}"]
    optimisers = typing.get_args(typing.get_type_hints(OptimConfig)["name"])
    text = resolve_config(recipe.pretrain.config).read_text()
    if "name: lars" in text and "lars" not in optimisers:
        missing.append("optimizer lars")
    return missing


def test_every_published_row_has_a_recipe() -> None:
    rows = {(load_recipe(name).method, load_recipe(name).encoder) for name in RECIPES}
    assert EXPECTED <= rows
    rho = sorted(name for name in RECIPES if name.startswith("rho_"))
    assert rho == [f"rho_{method}_k400_slow_r50_rho{rho}" for method, rho in
                   (("byol", 2), ("byol", 4), ("moco", 2), ("moco", 4), ("simclr", 2))]


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_configs_validate_at_the_papers_size(name: str) -> None:
    assert not missing_components(name), f"{name} names components that are not registered"
    recipe = load_recipe(name)
    config = pretrain_config(recipe, CATALOG)
    assert config.model.encoder == recipe.encoder
    assert "tiny" not in config.model.encoder
    assert config.augment is not None and config.augment.output_size >= SMALL_INPUT.get(name, 112)
    assert config.data.root == f"/datasets/{recipe.pretrain.dataset}"
    for step in recipe.evaluate:
        evaluation = eval_config(recipe, step, CATALOG)
        assert evaluation.data.root == f"/datasets/{step.dataset}"
        reported = set()
        for protocol in evaluation.protocols:
            if protocol == "retrieval":
                reported |= {f"recall_at_{k}" for k in evaluation.retrieval.topk}
            else:
                reported |= {"video_top1", "video_top5", "clip_top1", "mean_class_accuracy"}
        assert set(step.published) <= reported, f"{name}/{step.name} publishes metrics no protocol reports"


def test_rho_and_byol_variants_set_rho_and_the_learning_rate() -> None:
    def pretrain(name: str):
        assert not missing_components(name), f"{name} names components that are not registered"
        return pretrain_config(load_recipe(name), CATALOG)

    assert pretrain("rho_moco_k400_slow_r50_rho2").pretext.options["num_clips"] == 2
    moco4 = pretrain("rho_moco_k400_slow_r50_rho4")
    assert moco4.pretext.options["num_clips"] == 4 and moco4.model.loss_options["queue_size"] == 65536
    assert moco4.model.loss_options["in_batch_negatives"] is False
    byol4 = pretrain("rho_byol_k400_slow_r50_rho4")
    assert byol4.pretext.options["num_clips"] == 4 and byol4.optim.lr == 1.2 and byol4.model.loss == "byol"


def test_published_values_carry_source_and_verification_and_proxies_say_why() -> None:
    for name in RECIPES:
        recipe = load_recipe(name)
        for step in recipe.evaluate:
            for value in step.published.values():
                assert value.source and 0 < value.value < 100
            if step.proxy:
                assert not step.published and "no comparable published number" in step.proxy.lower()
    proxies = {name for name in RECIPES if all(s.proxy for s in load_recipe(name).evaluate)}
    assert proxies == {"multiview_tcn_multicamera", "tracking_wang_gupta_unlabeled"}


def test_list_json_names_every_recipe_with_runnable_packaged_commands(capsys) -> None:
    assert main(["list", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(RECIPES)
    for line in lines:
        entry = json.loads(line)
        recipe = load_recipe(entry["name"])
        assert entry["paper"] == recipe.paper
        assert entry["published"] == {f"{s.name}.{m}": v.value for s in recipe.evaluate
                                      for m, v in s.published.items()}
        assert entry["datasets"]["pretrain"] == recipe.pretrain.dataset
        for step, command in entry["commands"].items():
            words = shlex.split(command)
            assert words[:2] == ["tssl", {"run": "recipes", "pretrain": "pretrain"}.get(step, "evaluate")]
            if "--config" in words:  # a packaged name, so the command works from an installed wheel
                assert resolve_config(words[words.index("--config") + 1]).is_file()
                assert words[words.index("--data") + 1] == entry["datasets"][step]


def test_unknown_recipe_names_the_existing_ones(capsys) -> None:
    assert main(["run", "vcop_ucf101_r4d", "--output-dir", "x"]) == 2
    err = capsys.readouterr().err
    assert "no recipe 'vcop_ucf101_r4d'" in err and "vcop_ucf101_r3d" in err


def test_list_and_show_print_for_a_person(capsys) -> None:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(RECIPES)
    vcop = next(line for line in lines if line.startswith("vcop_ucf101_r3d:"))
    assert "r3d_10" in vcop and "ucf101_finetune.video_top1 64.9" in vcop
    assert "no comparable number" in next(line for line in lines if line.startswith("multiview_tcn"))
    assert main(["show", "recipes/cvrl_k400_r3d50"]) == 0
    assert "config: recipes/pretrain/cvrl_k400_r3d50" in capsys.readouterr().out
