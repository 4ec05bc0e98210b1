"""``--datasets CATALOG`` and ``--data NAME`` on the commands that read data."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from temporal_ssl.cli import build_index, evaluate, mine_tracks, pretrain


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "cat.yaml"
    path.write_text("mydata: {format: folder, root: ./videos}\n"
                    "ucf101: {format: folder, root: /elsewhere/ucf, cache_dir: /elsewhere/cache}\n")
    return path


def pretrain_config(argv: list[str]):
    return pretrain.load_config(pretrain.parse_args(argv))


def test_pretrain_data_name_resolves_to_the_catalog_root(catalog: Path, capsys) -> None:
    argv = ["--dry-run", "--config", "vcop", "--datasets", str(catalog), "--data", "mydata",
            "augment.output_size=32"]
    config = pretrain_config(argv)
    assert config.data.format == "folder"
    assert Path(config.data.root) == catalog.parent / "videos"  # relative to the catalog file
    assert config.data.split is None  # the synthetic corpus's own split does not leak into the dataset
    assert pretrain.main(argv) == 0
    assert "config OK" in capsys.readouterr().out


def test_catalog_entry_wins_over_the_packaged_data_config(catalog: Path, monkeypatch, tmp_path: Path) -> None:
    overrides = ["--config", "vcop", "--data", "ucf101", "augment.output_size=32"]
    from_catalog = pretrain_config([*overrides, "--datasets", str(catalog)])
    assert (from_catalog.data.format, from_catalog.data.root) == ("folder", "/elsewhere/ucf")
    monkeypatch.setenv("TSSL_DATASETS", str(catalog))  # the environment variable finds the same catalog
    assert pretrain_config(overrides).data.root == "/elsewhere/ucf"
    monkeypatch.delenv("TSSL_DATASETS")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no_config"))  # no catalog anywhere: packaged one
    packaged = pretrain_config([*overrides, "data.root=/datasets/UCF-101"])
    assert (packaged.data.format, packaged.data.split_number) == ("ucf101", 1)


@pytest.mark.parametrize("command", [pretrain, evaluate])
def test_a_missing_catalog_named_explicitly_is_a_clear_error(command, tmp_path: Path, capsys) -> None:
    missing = tmp_path / "typo.yaml"
    argv = ["--datasets", str(missing)] + (["--checkpoint", "random"] if command is evaluate else [])
    assert command.main(argv) == 2
    error = capsys.readouterr().err
    assert str(missing) in error and "--datasets" in error and "does not exist" in error


def test_an_unknown_dataset_name_lists_the_known_ones(catalog: Path, capsys) -> None:
    assert pretrain.main(["--dry-run", "--datasets", str(catalog), "--data", "nosuch"]) == 2
    error = capsys.readouterr().err
    assert "'nosuch'" in error and "mydata" in error and "ucf101" in error


def test_mine_tracks_reads_a_dataset_of_the_catalog(catalog: Path) -> None:
    data = mine_tracks.data_config("mydata", None, str(catalog))
    assert (data.format, Path(data.root)) == ("folder", catalog.parent / "videos")


def test_build_index_takes_the_location_from_the_catalog_and_flags_win(catalog: Path) -> None:
    args = argparse.Namespace(format=None, root="/my/root", annotations=None, cache_dir=None, workers=None,
                              verify_backends=None, split=None)
    build_index.fill_from_dataset(args, build_index.dataset_section("ucf101", catalog))
    assert (args.format, args.root, args.cache_dir) == ("folder", "/my/root", "/elsewhere/cache")
