"""DataConfig and load_records: validated before any work, paths checked, filters reported, synthetic data."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from temporal_ssl.config import from_dict
from temporal_ssl.errors import ConfigError, DatasetError
from temporal_ssl.pipeline.records import DataConfig, load_records
from tests.pipeline.conftest import CORPUS_SPECS

TINY_SYNTHETIC = {"num_pretrain_scenes": 3, "num_train_per_class": 2, "num_test_per_class": 1,
                  "num_classes": 2, "num_frames": 8, "size": [16, 16], "num_cameras": 2, "clips_per_group": 1}


def data_config(**values: object) -> DataConfig:
    return from_dict(DataConfig, values, where="data")


def test_data_config_unknown_key_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'data.spilt'; did you mean 'split'\?.*Valid keys"):
        data_config(format="list", root="/x", spilt="train")


def test_data_config_rejects_impossible_values_naming_the_key() -> None:
    unknown = "'data.format' = 'ucf-101' is unknown; did you mean 'ucf101'?"
    with pytest.raises(ConfigError, match=re.escape(unknown)):
        data_config(format="ucf-101", root="/x")
    with pytest.raises(ConfigError, match=re.escape("'data.root' is required for format 'kinetics'")):
        data_config(format="kinetics", split="train")
    with pytest.raises(ConfigError, match="'data.split' = 'pretrain' only exists for format 'synthetic'"):
        data_config(format="list", root="/x", split="pretrain")
    with pytest.raises(ConfigError, match="'data.synthetic.num_classes'"):
        data_config(synthetic={"num_classes": "ten"})


def test_load_records_names_a_missing_path_and_the_key(tmp_path: Path) -> None:
    missing = f"'data.root' = '{tmp_path / 'nowhere'}' does not exist"
    with pytest.raises(DatasetError, match=re.escape(missing)):
        load_records(data_config(format="list", root=str(tmp_path / "nowhere"), split=None))
    with pytest.raises(DatasetError, match="'data.annotations' = .* does not exist"):
        load_records(data_config(format="ucf101", root=str(tmp_path), annotations=str(tmp_path / "splits"),
                                 split="train"))


def test_load_records_filters_short_videos_and_reports_them(corpus_dir: Path, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    cfg = data_config(format="list", root=str(corpus_dir), split=None, min_frames=25, workers=1,
                      cache_dir=str(tmp_path / "cache"))
    with caplog.at_level(logging.INFO, logger="temporal_ssl.pipeline.records"):
        records = load_records(cfg, progress=False)
    expected = sorted(str(corpus_dir / s.filename) for s in CORPUS_SPECS if s.num_frames >= 25)
    assert sorted(r.path for r in records) == expected
    dropped = len(CORPUS_SPECS) - len(expected)
    assert f"dropped by filters: {dropped}" in caplog.text


def test_load_records_refuses_a_split_the_corpus_does_not_have(corpus_dir: Path, tmp_path: Path) -> None:
    cfg = data_config(format="list", root=str(corpus_dir), split="train", workers=1,
                      cache_dir=str(tmp_path / "cache"))
    with pytest.raises(ConfigError, match="has no splits; set data.split to null"):
        load_records(cfg, progress=False)


def test_synthetic_data_reads_the_pretrain_pool_or_the_labeled_split(tmp_path: Path) -> None:
    base = {"format": "synthetic", "root": str(tmp_path / "synthetic"), "workers": 1,
            "synthetic": TINY_SYNTHETIC}
    pool = load_records(data_config(**base, split="pretrain"), progress=False)
    assert len(pool) == 3 and all(r.num_cameras == 2 and r.label is None for r in pool)
    train = load_records(data_config(**base, split="train"), progress=False)
    test = load_records(data_config(**base, split="test"), progress=False)
    assert len(train) == 4 and len(test) == 2
    assert {r.split for r in train} == {"train"} and {r.label for r in test} == {0, 1}
    assert not {r.path for r in train} & {r.path for r in test}
