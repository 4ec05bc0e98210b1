from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import pytest
import yaml

from temporal_ssl.config import apply_overrides, from_dict, load_yaml, save_config, to_dict
from temporal_ssl.errors import ConfigError


@dataclass
class OptimSection:
    lr: float = 1e-3
    name: Literal["sgd", "adamw"] = "sgd"
    betas: tuple[float, float] = (0.9, 0.999)


@dataclass
class TrainSection:
    max_steps: int = 10
    output_dir: str | None = None
    amp: bool = False

    def __post_init__(self) -> None:
        if self.max_steps <= 0:
            raise ConfigError(f"'train.max_steps' must be positive, got {self.max_steps}")


@dataclass
class RootConfig:
    optim: OptimSection = field(default_factory=OptimSection)
    train: TrainSection = field(default_factory=TrainSection)
    pretext: dict = field(default_factory=dict)


def test_nested_sections_are_built_and_converted() -> None:
    config = from_dict(RootConfig, {"optim": {"lr": 1, "betas": [0.5, 0.9]}, "train": {"max_steps": 3}})
    assert config.optim.lr == 1.0 and isinstance(config.optim.lr, float)
    assert config.optim.betas == (0.5, 0.9)
    assert config.train.max_steps == 3


def test_unknown_key_lists_valid_keys_and_closest_match() -> None:
    message = "unknown key 'config.train.max_step'; did you mean 'max_steps'?"
    with pytest.raises(ConfigError, match=re.escape(message)):
        from_dict(RootConfig, {"train": {"max_step": 3}})


def test_wrong_type_and_literal_name_the_key() -> None:
    with pytest.raises(ConfigError,
                       match=re.escape("'config.train.max_steps' must be an integer, got 'ten'")):
        from_dict(RootConfig, {"train": {"max_steps": "ten"}})
    with pytest.raises(ConfigError,
                       match=re.escape("'config.optim.name' = 'adam' is not allowed; did you mean 'adamw'?")):
        from_dict(RootConfig, {"optim": {"name": "adam"}})
    with pytest.raises(ConfigError, match=re.escape("'config.train.amp' must be true or false, got 1")):
        from_dict(RootConfig, {"train": {"amp": 1}})


def test_impossible_value_raised_by_schema_keeps_its_message() -> None:
    with pytest.raises(ConfigError, match=re.escape("'train.max_steps' must be positive, got 0")):
        from_dict(RootConfig, {"train": {"max_steps": 0}})


def test_overrides_parse_yaml_values_and_create_nested_keys() -> None:
    merged = apply_overrides({"train": {"max_steps": 5}}, ["train.max_steps=7", "optim.betas=[0.1, 0.2]",
                                                           "train.output_dir=null", "pretext.name=vcop"])
    assert merged == {"train": {"max_steps": 7, "output_dir": None}, "optim": {"betas": [0.1, 0.2]},
                      "pretext": {"name": "vcop"}}
    with pytest.raises(ConfigError, match="must look like key=value"):
        apply_overrides({}, ["train.max_steps"])


def test_include_merges_beneath_the_including_file(tmp_path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "base.yaml").write_text("train: {max_steps: 4, amp: true}\noptim: {lr: 0.5}\n")
    (tmp_path / "run.yaml").write_text("include: data/base.yaml\ntrain: {max_steps: 9}\n")
    assert load_yaml(tmp_path / "run.yaml") == {"train": {"max_steps": 9, "amp": True}, "optim": {"lr": 0.5}}


def test_missing_or_malformed_file_is_named(tmp_path) -> None:
    missing = f"config file '{tmp_path / 'nope.yaml'}' does not exist"
    with pytest.raises(ConfigError, match=re.escape(missing)):
        load_yaml(tmp_path / "nope.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_yaml(tmp_path / "list.yaml")


def test_saved_config_round_trips(tmp_path) -> None:
    config = from_dict(RootConfig, {"optim": {"name": "adamw"}, "pretext": {"name": "vcop", "num_clips": 3}})
    path = save_config(config, tmp_path / "out" / "config.yaml")
    text = path.read_text()
    assert text.startswith("# {") and "git_commit" in text.splitlines()[0]
    reloaded = from_dict(RootConfig, yaml.safe_load(text))
    assert to_dict(reloaded) == to_dict(config)
