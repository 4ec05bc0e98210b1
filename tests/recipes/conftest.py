"""Tiny real-format datasets shared by the recipe tests, built once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.dataset_trees import (
    Tree,
    hmdb51_tree,
    kinetics_tree,
    multicamera_tree,
    ucf101_tree,
    unlabeled_tree,
    write_catalog,
)


@pytest.fixture(scope="session")
def dataset_trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Tree]:
    """Every catalog dataset the recipes name, as a tiny tree with its real download's surprises."""
    base = tmp_path_factory.mktemp("datasets")
    return {
        "ucf101": ucf101_tree(base / "ucf101"),
        "hmdb51": hmdb51_tree(base / "hmdb51"),
        "kinetics400": kinetics_tree(base / "kinetics400"),
        "multicamera": multicamera_tree(base / "multicamera"),
        "unlabeled_videos": unlabeled_tree(base / "unlabeled"),
    }


@pytest.fixture(scope="session")
def catalog_file(dataset_trees: dict[str, Tree], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A dataset catalog naming every tree."""
    return write_catalog(tmp_path_factory.mktemp("catalog") / "datasets.yaml", dataset_trees)
