"""``--smoke``: the recipe's own encoder, frames and resolution, with everything that only costs time shrunk.

Steps and epochs, videos, clips per video, test views and batches become tiny; training runs on the CPU in
full precision (no SyncBN, no compile), so every recipe finishes in minutes on a laptop and proves that its
configs, data and protocols fit together before a cluster is booked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from temporal_ssl.config import merge
from temporal_ssl.data.index import VideoIndex
from temporal_ssl.data.record_table import RecordTable
from temporal_ssl.types import VideoRecord


@dataclass(frozen=True)
class SmokeSize:
    """How small a smoke run is.

    Args:
        steps: optimizer steps of pretraining and of each fine-tuning.
        batch_size: samples per batch everywhere.
        pretrain_videos: videos the pretraining reads.
        eval_videos: videos of each evaluation split (train and test).
    """

    steps: int = 1
    batch_size: int = 2
    pretrain_videos: int = 2
    eval_videos: int = 2


_CPU_TRAIN = {"device": "cpu", "amp": "off", "sync_batchnorm": False, "compile": False, "grad_accum_steps": 1,
              "progress_bar": False, "tensorboard": False}
_CPU_LOADER = {"num_workers": 0, "persistent_workers": False, "pin_memory": False, "device": "cpu"}
_ONE_VIEW = {"num_clips": 1, "transform": {"num_crops": 1}}
# Samples per video that a pretext draws for its own sake (not what defines the method, as rho clips do).
_PER_VIDEO_SAMPLES = {"num_timesteps": 4}


def smoke_pretrain(config: Mapping[str, Any], size: SmokeSize) -> dict[str, Any]:
    """A pretraining config mapping shrunk for a smoke run (encoder, frames and resolution untouched; the
    multi-view TCN draws 4 moments per recording instead of 16)."""
    options = config.get("pretext", {}).get("options", {})
    per_video = {k: min(v, options[k]) for k, v in _PER_VIDEO_SAMPLES.items() if k in options}
    return merge(config, {
        "pretext": {"options": per_video},
        "train": {**_CPU_TRAIN, "max_steps": size.steps, "epochs": None, "log_every_steps": 1,
                  "checkpoint_every_steps": size.steps},
        "loader": {**_CPU_LOADER, "batch_size": size.batch_size},
        "optim": {"warmup_steps": 0},
    })


def smoke_eval(config: Mapping[str, Any], size: SmokeSize) -> dict[str, Any]:
    """An evaluation config mapping shrunk for a smoke run: one view per video, a few steps, tiny batches."""
    out = merge(config, {
        "device": "cpu",
        "baselines": [],
        "extraction": {"batch_size": size.batch_size, "num_workers": 0, "amp": "off", "cache": False,
                       "progress_bar": False},
        "finetune": {"max_steps": size.steps, "epochs": 1, "amp": "off", "log_every_steps": 1,
                     "progress_bar": False, "save_checkpoint": False, "grad_accum_steps": 1,
                     "loader": {**_CPU_LOADER, "batch_size": size.batch_size},
                     "optim": {"warmup_steps": 0}, "test_views": _ONE_VIEW},
        "linear_probe": {"epochs": 2, "warmup_epochs": 0, "max_iterations": 20},
    })
    probe = out["linear_probe"]
    if probe.get("weight_decay") is None:  # choosing it needs held-out videos of every class
        probe["weight_decay"] = 1e-3
    for section in ("linear_probe", "knn", "retrieval"):
        features = out.get(section, {}).get("features")
        if not isinstance(features, Mapping):
            continue
        for views in ("test_views", "train_views"):
            if isinstance(features.get(views), Mapping):  # null train views follow the test views
                out[section]["features"] = merge(out[section]["features"], {views: _ONE_VIEW})
    return out


def spread_over_classes(records: list[VideoRecord], count: int) -> list[VideoRecord]:
    """``count`` records, taking one of each class in turn (so a smoke evaluation has several classes)."""
    by_label: dict[Any, list[VideoRecord]] = {}
    for record in records:
        by_label.setdefault(record.label, []).append(record)
    picked: list[VideoRecord] = []
    queues = list(by_label.values())
    while len(picked) < count and any(queues):
        for queue in queues:
            if queue and len(picked) < count:
                picked.append(queue.pop(0))
    return picked


def smoke_index(index: VideoIndex, count: int, path: Path) -> Path:
    """Save ``count`` records of ``index`` (spread over classes) as an index file for ``format: index``."""
    kept = spread_over_classes(list(index.records), count)
    kept_index = VideoIndex(RecordTable.from_records(tuple(kept)), index.classes, format=index.format,
                            root=index.root)
    return kept_index.save(path)
