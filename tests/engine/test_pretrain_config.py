"""The pretraining config: every mistake fails before any data is read, with a message naming the key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import torch

from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, checkpoint_path, save_atomic
from temporal_ssl.engine.components import build_components, resolve_component
from temporal_ssl.engine.pretrain import check_config, check_run_settings, pretrain
from temporal_ssl.engine.pretrain_config import PretrainConfig, load_pretrain_config
from temporal_ssl.errors import ConfigError
from temporal_ssl.pretext.base import ComponentSpec
from temporal_ssl.registry import HEADS
from temporal_ssl.synthetic.corpus import CorpusOptions

BASE: dict[str, Any] = {
    "pretext": {"name": "shuffle_and_learn", "options": {}},
    "model": {"encoder": "r3d_tiny"},
    "train": {"max_steps": 5, "device": "cpu"},
}


def _config(*overrides: str, base: dict[str, Any] | None = None) -> PretrainConfig:
    return load_pretrain_config(None, list(overrides), base=base or BASE)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["trian.max_steps=3"],
            "unknown key 'config.trian'; did you mean 'train'? Valid keys under 'config': augment, data, "
            "loader, model, optim, pretext, train",
        ),
        (["train.max_step=3"], "unknown key 'config.train.max_step'; did you mean 'max_steps'?"),
        (["optim.lr=-1"], "invalid value in 'config.optim': optim.lr must be > 0, got -1.0"),
        (["optim.min_lr=1"], "optim.min_lr must be in [0, optim.lr = 0.0005], got 1.0"),
        (["train.max_steps=abc"], "'config.train.max_steps' must be an integer, got 'abc'"),
        (
            ["train.amp=bf-16"],
            "'config.train.amp' = 'bf-16' is not allowed; did you mean 'bf16'? "
            "Choose one of: auto, off, bf16, fp16",
        ),
        (["train.max_steps=null"], "set train.max_steps or train.epochs (how long to train)"),
        (["train.grad_accum_steps=0"], "train.grad_accum_steps must be >= 1, got 0"),
        (["loader.batch_size=0"], "'loader.batch_size' = 0 must be >= 1"),
        (["augment.hue=0.9"], "augment.hue = 0.9 must lie in [0, 0.5]"),
        (["optim.name=lamb"], "'config.optim.name' = 'lamb' is not allowed"),
    ],
)
def test_schema_errors_name_the_key(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        _config(*overrides)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["model.encoder=r3d_19"], "unknown encoder 'r3d_19'; did you mean 'r3d_18'?"),
        (["pretext.name=vcopp"], "unknown pretext 'vcopp'"),
        (
            ["pretext.options.max_positive_gapp=3"],
            "unknown key 'pretext.options.max_positive_gapp'; did you mean 'max_positive_gap'?",
        ),
        (["model.encoder_options.widthz=[8]"], "unknown key 'model.encoder.widthz'; did you mean 'widths'?"),
        (
            ["model.loss_options.label_smoothing=2.0"],
            "invalid value in 'model.loss_options': label_smoothing must be in [0, 1), got 2.0",
        ),
    ],
)
def test_component_errors_name_the_key(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_components(_config(*overrides))


def test_device_dependent_settings_are_checked() -> None:
    cpu = torch.device("cpu")
    with pytest.raises(ConfigError, match=re.escape("train.amp = 'fp16' needs a CUDA device")):
        check_run_settings(_config("train.amp=fp16"), cpu)
    with pytest.raises(ConfigError, match=re.escape("train.sync_batchnorm = true needs CUDA")):
        check_run_settings(_config("train.sync_batchnorm=true"), cpu)
    with pytest.raises(
        ConfigError, match=re.escape("loader.device = 'cuda' (GPU decoding) but training runs on")
    ):
        check_run_settings(_config("loader.device=cuda"), cpu)


def test_a_good_config_builds_the_pretexts_head_and_loss() -> None:
    components = check_config(_config())
    assert components.model.head.produces == "logits"
    assert components.model.head.out_features == 2  # shuffle & learn: in order or not
    assert type(components.loss_fn).__name__ == "CrossEntropyLoss"


def test_replacing_the_head_keeps_only_options_it_accepts() -> None:
    declared = ComponentSpec("order_concat", {"num_classes": 6, "num_views": 3})
    same = resolve_component(declared, None, {"num_views": 4}, HEADS)
    assert same == ComponentSpec("order_concat", {"num_classes": 6, "num_views": 4})
    other = resolve_component(declared, "linear", {"dropout": 0.5}, HEADS)
    assert other == ComponentSpec("linear", {"num_classes": 6, "dropout": 0.5})


def test_model_errors_surface_before_the_corpus_is_touched(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_corpus"
    config = _config(
        "model.encoder=not_an_encoder",
        f"train.output_dir={tmp_path / 'run'}",
        "data.format=folder",
        f"data.root={missing}",
    )
    with pytest.raises(ConfigError, match=re.escape("unknown encoder 'not_an_encoder'")):
        pretrain(config)
    assert not (tmp_path / "run").exists()


def test_a_fresh_run_refuses_a_folder_holding_another_runs_checkpoints(tmp_path: Path) -> None:
    saved = save_atomic({"format_version": 1}, checkpoint_path(tmp_path / CHECKPOINT_DIRNAME, 7))
    config = _config(
        f"train.output_dir={tmp_path}", "data.format=folder", f"data.root={tmp_path / 'nothing'}"
    )
    message = (
        f"'{tmp_path}' already holds checkpoints of another run (latest: '{saved}'); continue it with "
        "--resume auto, or choose another --output-dir"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        pretrain(config)


def test_scientific_notation_from_the_command_line_is_a_number() -> None:
    # YAML 1.1 reads 1e-3 (no dot) as a string; the schema accepts it as the number it means
    assert _config("optim.lr=1e-3", "optim.min_lr=1e-5").optim.lr == 1e-3


def test_a_data_file_replaces_the_whole_data_section(tmp_path: Path) -> None:
    base = {**BASE, "data": {"format": "synthetic", "split": "pretrain", "synthetic": {"num_classes": 4}}}
    dataset = tmp_path / "folder.yaml"
    dataset.write_text(f"data:\n  format: folder\n  root: {tmp_path}\n  split: null\n")
    config = load_pretrain_config(None, ["data.min_frames=4"], data_path=dataset, base=base)
    assert (config.data.format, config.data.root, config.data.split, config.data.min_frames) == (
        "folder",
        str(tmp_path),
        None,
        4,
    )
    assert config.data.synthetic == CorpusOptions()  # nothing of the included dataset's section is left
    empty = tmp_path / "empty.yaml"
    empty.write_text("loader:\n  batch_size: 2\n")
    with pytest.raises(ConfigError, match=re.escape(f"dataset file '{empty}' has no 'data:' section")):
        load_pretrain_config(None, data_path=empty, base=base)
