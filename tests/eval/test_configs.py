"""Every shipped eval config validates, published ones carry the published views, mistakes name the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from temporal_ssl.errors import ConfigError
from temporal_ssl.eval import load_eval_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "eval"


@pytest.mark.parametrize("path", sorted(CONFIGS.rglob("*.yaml")), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_eval_config_validates(path: Path) -> None:
    load_eval_config(path, ["data.root=/datasets/x"])


@pytest.mark.parametrize("dataset,split", [(d, s) for d in ("ucf101", "hmdb51") for s in (1, 2, 3)])
def test_small_data_finetune_configs_follow_vcop(dataset: str, split: int) -> None:
    config = load_eval_config(CONFIGS / dataset / f"finetune_split{split}.yaml", ["data.root=/x"])
    assert (config.data.format, config.data.split_number, config.protocols) == (dataset, split, ("finetune",))
    views = config.finetune.test_views
    assert (views.num_clips, views.num_crops, views.num_frames_per_clip) == (10, 1, 16)
    assert (views.transform.resize, views.transform.crop_size) == ((128, 171), 112)
    assert config.finetune.loader.decode_size == (128, 171) and config.finetune.augment is not None
    assert config.finetune.augment.output_size == 112 and config.finetune.augment.horizontal_flip_prob == 0
    assert (config.finetune.optim.name, config.finetune.optim.lr, config.finetune.epochs) == (
        "sgd",
        1e-3,
        150,
    )


def test_multi_view_settings_of_the_large_scale_configs() -> None:
    kinetics = load_eval_config(CONFIGS / "kinetics400" / "linear_probe.yaml", ["data.root=/x"])
    assert kinetics.linear_probe.features.test_views.views_per_video == 30  # 10 clips x 3 crops
    assert kinetics.test_split == "val" and kinetics.linear_probe.l2_normalize
    ssv2 = load_eval_config(CONFIGS / "ssv2" / "finetune.yaml", ["data.root=/x"])
    assert (ssv2.finetune.test_views.num_clips, ssv2.finetune.test_views.num_crops) == (2, 3)
    retrieval = load_eval_config(CONFIGS / "ucf101" / "retrieval_split1.yaml", ["data.root=/x"])
    assert retrieval.retrieval.features.pooling == "vcop_map" and retrieval.retrieval.topk == (
        1,
        5,
        10,
        20,
        50,
    )


@pytest.mark.parametrize(
    "override,message",
    [
        (
            "linear_probe.features.poolng=global",
            "unknown key 'config.linear_probe.features.poolng'; did you mean",
        ),
        (
            "linear_probe.features.pooling=avg",
            "'config.linear_probe.features.pooling' = 'avg' is not allowed",
        ),
        ("test_split=train", "train_split and test_split are both 'train'"),
        (
            "protocols=[linear_probe, retreival]",
            "'config.protocols[1]' = 'retreival' is not allowed; did you mean",
        ),
        ("finetune.backbone_lr_scale=-1", "finetune.backbone_lr_scale must be >= 0 (0 freezes the encoder)"),
    ],
)
def test_config_mistakes_name_the_key(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_eval_config(CONFIGS / "linear_probe.yaml", [override])


def test_synthetic_eval_config_on_real_data_names_the_published_protocols(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from temporal_ssl.cli.evaluate import main

    base = ["--checkpoint", "random", "model.encoder=r3d_tiny", "--config", "linear_probe", "device=cpu"]
    assert main([*base, "--data", "ucf101", "data.root=/nonexistent/UCF-101"]) == 2
    err = capsys.readouterr().err
    assert "tuned for the embedded synthetic corpus" in err and "eval/ucf101/linear_probe_split1" in err
    assert main([*base, "--data", "kinetics", "data.root=/nonexistent/k400"]) == 2
    assert "eval/kinetics400/linear_probe" in capsys.readouterr().err
    # views set explicitly: the guard lets it through, and the run then fails on the missing folder instead
    views = "linear_probe.features.test_views.transform.crop_size=112"
    assert main([*base, "--data", "ucf101", "data.root=/nonexistent/UCF-101", views]) == 2
    err = capsys.readouterr().err
    assert "tuned for the embedded synthetic corpus" not in err and "/nonexistent/UCF-101" in err
