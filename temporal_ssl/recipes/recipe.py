"""A recipe: one published result, its pretraining at the paper's size, its downstream protocols and numbers.

A recipe file (``configs/recipes/<name>.yaml``) names packaged configs rather than copying them: the
pretraining config (``configs/recipes/pretrain/...``), the evaluation configs (``configs/eval/...`` where
the published protocol fits, ``configs/recipes/eval/...`` where it needs other clips), the dataset each step
reads (a name of the dataset catalog, see :mod:`temporal_ssl.recipes.catalog`), and beside every metric the
published value with its source and how it was verified.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from temporal_ssl.config import from_dict, load_yaml
from temporal_ssl.config_files import packaged_configs
from temporal_ssl.errors import ConfigError

RECIPES_FOLDER = "recipes"
Verification = Literal["code", "paper", "2nd", "unverified"]
"""How a published number was checked: read in the authors' code or README (``code``), in the paper text
(``paper``), only through a secondary source quoting it (``2nd``), or not confirmed (``unverified``)."""


@dataclass(frozen=True)
class PublishedValue:
    """A number the paper (or its code release) reports, in percent.

    Args:
        value: the number.
        source: where it is printed (paper table, README, a secondary source quoting it).
        verification: see :data:`Verification`.
        note: caveats that decide whether a reproduction is comparable (split, views, clip vs video level).
    """

    value: float
    source: str
    verification: Verification
    note: str = ""


@dataclass(frozen=True)
class PretrainStep:
    """The pretraining step: a packaged pretraining config, the dataset it reads, overrides on top."""

    config: str
    dataset: str
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalStep:
    """One downstream protocol.

    Args:
        name: the step's name (its output subfolder).
        config: a packaged evaluation config.
        dataset: the catalog dataset it evaluates on.
        overrides: ``key=value`` overrides on the evaluation config.
        published: metric name (as the evaluation reports it: ``video_top1``, ``retrieval_top1`` ...) →
            the published value. Empty for a proxy evaluation.
        proxy: why no published number is comparable and what this protocol measures instead (``null`` for
            a protocol the paper reports).
    """

    name: str
    config: str
    dataset: str
    overrides: tuple[str, ...] = ()
    published: dict[str, PublishedValue] = field(default_factory=dict)
    proxy: str | None = None

    def __post_init__(self) -> None:
        if not self.published and not self.proxy:
            raise ValueError(f"evaluation step '{self.name}' needs published values or a 'proxy' note saying "
                             "why no published number is comparable")


@dataclass(frozen=True)
class Recipe:
    """A published row, reproducible with one command (see the module docstring).

    Args:
        paper: authors, venue, title.
        method: the pretext (``vcop``, ``cvrl`` ...).
        encoder: the encoder the paper trained (the pretraining config's ``model.encoder``).
        compute: what the paper reports about its hardware and training time (or that it does not).
        pretrain: the pretraining step.
        evaluate: the downstream protocols, in order.
        caveats: what decides whether a reproduction compares (splits, views, settings not known).
    """

    paper: str
    method: str
    encoder: str
    compute: str
    pretrain: PretrainStep
    evaluate: tuple[EvalStep, ...]
    caveats: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        names = [step.name for step in self.evaluate]
        if not names or len(set(names)) != len(names):
            raise ValueError(f"recipe evaluation steps need distinct names, got {names}")


def recipe_names() -> list[str]:
    """Every packaged recipe, sorted."""
    return sorted(p.stem for p in (packaged_configs() / RECIPES_FOLDER).glob("*.yaml"))


def recipe_file(name: str) -> Path:
    """Where the packaged recipe ``name`` lives (whether or not it exists)."""
    return packaged_configs() / RECIPES_FOLDER / f"{name.removeprefix(RECIPES_FOLDER + '/')}.yaml"


def load_recipe(name: str) -> Recipe:
    """The packaged recipe ``name`` (``vcop_ucf101_r3d``, or ``recipes/vcop_ucf101_r3d``) or a recipe file of
    your own (a path), validated."""
    own = Path(name)
    short = own.stem if own.suffix in (".yaml", ".yml") else name.removeprefix(f"{RECIPES_FOLDER}/")
    path = own if own.suffix in (".yaml", ".yml") and own.is_file() else recipe_file(short)
    if not path.is_file():
        raise ConfigError(f"no recipe '{name}'; `tssl recipes list` shows them: {', '.join(recipe_names())}")
    data = load_yaml(path)
    data["name"] = short
    return from_dict(Recipe, data, where=f"recipe {short}")


def pretrain_command(recipe: Recipe, catalog: str = "CATALOG") -> str:
    """The ``tssl pretrain`` command of the recipe's pretraining step."""
    step = recipe.pretrain
    words = ["tssl", "pretrain", "--config", step.config, "--datasets", catalog, "--data", step.dataset,
             "--output-dir", f"runs/{recipe.name}/pretrain", *step.overrides]
    return shlex.join(words)


def eval_command(recipe: Recipe, step: EvalStep, catalog: str = "CATALOG") -> str:
    """The ``tssl evaluate`` command of one downstream step, on the pretraining run's latest checkpoint."""
    words = ["tssl", "evaluate", "--checkpoint", f"runs/{recipe.name}/pretrain",
             "--config", step.config, "--datasets", catalog, "--data", step.dataset,
             "--output-dir", f"runs/{recipe.name}/{step.name}", *step.overrides]
    return shlex.join(words)


def recipe_summary(recipe: Recipe) -> dict[str, Any]:
    """The ``tssl recipes list --json`` line of a recipe."""
    published = {f"{step.name}.{metric}": value.value
                 for step in recipe.evaluate for metric, value in step.published.items()}
    return {
        "name": recipe.name,
        "paper": recipe.paper,
        "method": recipe.method,
        "encoder": recipe.encoder,
        "published": published,
        "datasets": {"pretrain": recipe.pretrain.dataset, **{s.name: s.dataset for s in recipe.evaluate}},
        "commands": {"run": shlex.join(["tssl", "recipes", "run", recipe.name, "--datasets", "CATALOG",
                                        "--output-dir", f"runs/{recipe.name}"]),
                     "pretrain": pretrain_command(recipe),
                     **{s.name: eval_command(recipe, s) for s in recipe.evaluate}},
        "compute": recipe.compute,
    }
