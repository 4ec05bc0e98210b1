"""The dataset catalog: where it is found, what an entry may hold, and how it beats a packaged data config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from temporal_ssl.config import load_yaml
from temporal_ssl.config_files import resolve_config
from temporal_ssl.errors import ConfigError
from temporal_ssl.recipes.catalog import (
    CATALOG_ENV,
    apply_dataset,
    config_with_dataset,
    default_catalog_path,
    find_catalog,
    load_catalog,
    resolve_dataset,
)


def write(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def test_explicit_path_then_environment_then_default(tmp_path, monkeypatch) -> None:
    explicit = write(tmp_path / "a.yaml", {})
    from_env = write(tmp_path / "b.yaml", {})
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv(CATALOG_ENV, raising=False)
    assert find_catalog(None) is None  # nothing anywhere: no catalog, packaged data configs only
    default = default_catalog_path()
    assert default == tmp_path / "config" / "temporal_ssl" / "datasets.yaml"
    default.parent.mkdir(parents=True)
    write(default, {})
    assert find_catalog(None) == default
    monkeypatch.setenv(CATALOG_ENV, str(from_env))
    assert find_catalog(None) == from_env
    assert find_catalog(explicit) == explicit


def test_a_named_catalog_that_does_not_exist_is_an_error_not_a_fallback(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv(CATALOG_ENV, str(tmp_path / "typo.yaml"))
    with pytest.raises(ConfigError, match=f"typo.yaml.*{CATALOG_ENV}"):
        find_catalog(None)
    with pytest.raises(ConfigError, match="missing.yaml.*--datasets"):
        find_catalog(tmp_path / "missing.yaml")


def test_entries_are_checked_and_relative_paths_follow_the_catalog(tmp_path) -> None:
    path = write(tmp_path / "cat.yaml", {"ucf101": {"format": "ucf101", "root": "UCF-101",
                                                    "annotations": "/abs/ucfTrainTestlist"}})
    catalog = load_catalog(path)
    assert catalog["ucf101"]["root"] == str(tmp_path / "UCF-101")
    assert catalog["ucf101"]["annotations"] == "/abs/ucfTrainTestlist"
    write(path, {"ucf101": {"format": "ucf101", "root": "/x", "anotations": "/y"}})
    with pytest.raises(ConfigError, match="'ucf101' has unknown key.*anotations"):
        load_catalog(path)
    write(path, {"ucf101": "/datasets/UCF-101"})
    with pytest.raises(ConfigError, match="entry 'ucf101' must be a mapping"):
        load_catalog(path)


def test_catalog_entry_beats_the_packaged_data_config_and_keeps_the_step_split() -> None:
    step = load_yaml(resolve_config("eval/ucf101/finetune_split2"))
    catalog = {"ucf101": {"format": "ucf101", "root": "/datasets/UCF-101", "annotations": "/datasets/lists"}}
    data = apply_dataset(step, "ucf101", catalog)["data"]
    assert data["root"] == "/datasets/UCF-101" and data["annotations"] == "/datasets/lists"
    assert data["split_number"] == 2  # the step's own official split survives
    # without a catalog entry the packaged configs/data/ucf101.yaml applies (root still to be given)
    assert resolve_dataset("ucf101", {}, step["data"])["root"] is None


def test_an_entry_of_another_format_replaces_the_section_but_keeps_the_split_keys() -> None:
    base = {"format": "ucf101", "root": None, "annotations": None, "split": "train", "split_number": 3}
    data = resolve_dataset("ucf101", {"ucf101": {"format": "folder", "root": "/my/ucf"}}, base)
    assert data == {"format": "folder", "root": "/my/ucf", "split": "train", "split_number": 3}


def test_an_unknown_dataset_names_the_ones_that_exist() -> None:
    with pytest.raises(ConfigError, match="'kinetics4000'.*Known:.*kinetics400.*ucf101"):
        resolve_dataset("kinetics4000", {"mine": {"root": "/x"}})


def test_commands_take_a_dataset_name_or_a_data_file(tmp_path, monkeypatch) -> None:
    catalog = write(tmp_path / "cat.yaml", {"hmdb51": {"format": "hmdb51", "root": "/data/hmdb"}})
    monkeypatch.setenv(CATALOG_ENV, str(catalog))
    mapping = config_with_dataset("eval/hmdb51/finetune_split3", "hmdb51")
    assert mapping["data"]["root"] == "/data/hmdb" and mapping["data"]["split_number"] == 3
    assert mapping["protocols"] == ["finetune"]
    own = write(tmp_path / "mine.yaml", {"data": {"format": "folder", "root": "/data/mine"}})
    assert config_with_dataset("eval/hmdb51/finetune_split3", str(own))["data"] == {"format": "folder",
                                                                                    "root": "/data/mine"}
    assert config_with_dataset("eval/hmdb51/finetune_split3")["data"]["root"] is None
