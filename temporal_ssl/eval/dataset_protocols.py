"""Each dataset's own evaluation protocol: which config compares a pretrained encoder with its baselines.

Pretraining with ``--compare`` (and the main job) evaluates on the labeled splits of the corpus it trained on,
with that dataset's protocol — its views, probe and the supervised baseline's batch and schedule — never with
settings tuned for another corpus. :data:`COMPARISON_CONFIGS` is the one place that maps a data format to
that protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from temporal_ssl.config import apply_overrides, from_dict, load_yaml, to_dict
from temporal_ssl.config_files import config_names, packaged_configs
from temporal_ssl.errors import ConfigError
from temporal_ssl.eval.config import EvalConfig
from temporal_ssl.pipeline.records import SYNTHETIC_FORMAT, DataConfig

COMPARISON_CONFIGS: dict[str, str] = {
    SYNTHETIC_FORMAT: "synthetic_comparison.yaml",
    "ucf101": "ucf101/comparison.yaml",
    "hmdb51": "hmdb51/comparison.yaml",
    "ssv2": "ssv2/comparison.yaml",
}
"""Data format → the packaged evaluation config (``configs/eval/...``) comparing with the baselines."""


PROTOCOL_FOLDERS: dict[str, str] = {
    "ucf101": "ucf101",
    "hmdb51": "hmdb51",
    "kinetics": "kinetics400",
    "ssv2": "ssv2",
}
"""Data format → its folder of published evaluation protocols under ``configs/eval``."""


def published_protocols(data_format: str) -> list[str]:
    """Packaged names of the evaluation configs written for ``data_format`` (``eval/ucf101/...``)."""
    folder = PROTOCOL_FOLDERS.get(data_format)
    if folder is None:
        return []
    return [f"eval/{folder}/{name}" for name in config_names(f"eval/{folder}")]


def comparison_config_path(data_format: str) -> Path:
    """The comparison config of ``data_format``; a ``ConfigError`` naming the way out when there is none."""
    name = COMPARISON_CONFIGS.get(data_format)
    if name is None:
        raise ConfigError(
            f"no evaluation protocol is known for data format '{data_format}' (known: "
            f"{', '.join(sorted(COMPARISON_CONFIGS))}); pass --eval-config FILE, an evaluation config with "
            "protocols, baselines and their views and budgets for this dataset"
        )
    return packaged_configs() / "eval" / name


def comparison_config(
    data: DataConfig,
    overrides: Sequence[str] = (),
    *,
    path: str | Path | None = None,
    seed: int = 0,
    device: str = "auto",
    output_dir: str | Path | None = None,
) -> EvalConfig:
    """The evaluation comparing an encoder pretrained on ``data`` with both baselines on its labeled splits.

    Args:
        data: the pretraining corpus (its labeled splits are evaluated; for the synthetic corpus, the
            UCF101-like part pretraining never saw).
        overrides: ``key=value`` changes to the evaluation config (``finetune.max_steps=50`` ...).
        path: an evaluation config to use instead of the dataset's (:func:`comparison_config_path`).
        seed, device: those of the pretraining run, unless the overrides set them.
        output_dir: the report folder.
    """
    config_path = comparison_config_path(data.format) if path is None else Path(path)
    raw = load_yaml(config_path)
    raw["data"] = to_dict(replace(data, split=None))
    raw.update(seed=seed, device=device, use_checkpoint_corpus=False)
    if output_dir is not None:
        raw["output_dir"] = str(output_dir)
    return from_dict(EvalConfig, apply_overrides(raw, overrides), where=str(config_path))
