"""Features of one data split written to disk for users' own analyses (``tools/extract_features.py``).

Formats:

- ``.pt``: one file, ``{"features": float [V, K, F], "labels": int64 [V], "paths": [...],
  "class_names": [...], "num_clips", "num_crops", "metadata": {...}}``;
- ``.npy``: ``features`` float ``[V, K, F]`` in the ``.npy`` file, and ``<stem>.index.json`` beside it with
  the videos (position, path, label, class) and the metadata.

``K = N·M`` views per video, view ``k = n·M + m`` (clip ``n``, crop ``m``). With ``pooling: maps`` the
features are the flattened last feature maps ``[V, K, D·T'·H'·W']`` and the metadata holds the map shape.
The metadata records the encoder, the checkpoint and its SHA-256, the views and the pooling.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from temporal_ssl.config import to_dict
from temporal_ssl.engine.checkpoint import save_atomic
from temporal_ssl.errors import ConfigError
from temporal_ssl.eval.config import ClipViews, EvalConfig, FeaturePooling
from temporal_ssl.eval.evaluate import load_subject_encoder, resolve_eval_device
from temporal_ssl.eval.features import FeatureRequest, FeatureSet, encoder_features, extract_features
from temporal_ssl.eval.labeled_data import data_for_checkpoint
from temporal_ssl.pipeline.records import load_index_for

logger = logging.getLogger(__name__)

ExportPooling = FeaturePooling | Literal["maps"]


def export_features(
    config: EvalConfig,
    checkpoint: str | Path,
    *,
    split: str | None,
    output: str | Path,
    views: ClipViews,
    pooling: ExportPooling = "global",
) -> list[Path]:
    """Encode every video of ``split`` with ``views`` and write the features to ``output`` (``.pt``/``.npy``).

    Args:
        config: the evaluation config (its ``data``, ``model``, ``extraction``, ``device``, ``seed``).
        checkpoint: a checkpoint, or ``"random"``.
        split: the split of ``config.data`` (``None``: every video; unlabeled videos get label ``-1``).
        output: the file to write; its suffix picks the format.
        views: clips and crops per video.
        pooling: a :data:`~temporal_ssl.eval.config.FeaturePooling`, or ``maps`` (whole flattened maps).

    Returns:
        The files written.
    """
    output = Path(output)
    if output.suffix not in (".pt", ".npy"):
        raise ConfigError(f"--output '{output}' must end in .pt or .npy (the file format)")
    loaded = load_subject_encoder(config, checkpoint)
    data = (
        data_for_checkpoint(config.data, loaded.checkpoint_config)
        if config.use_checkpoint_corpus
        else config.data
    )
    index = load_index_for(replace(data, split=split))
    device = resolve_eval_device(config.device)
    encoder = loaded.encoder.to(device)
    map_shape: list[int] = []

    def maps(clips: torch.Tensor) -> torch.Tensor:
        feature_map = encoder.forward_feature_map(clips)  # type: ignore[operator]
        map_shape[:] = list(feature_map.shape[1:])
        return feature_map.flatten(1)

    function = maps if pooling == "maps" else encoder_features(encoder, pooling)
    features = extract_features(
        [FeatureRequest("features", function, (encoder,))],
        index.records,
        views,
        extraction=config.extraction,
        device=device,
        description=f"{split or 'all'} features",
        output_dir=output.parent,
    )["features"]
    metadata = {
        "encoder": loaded.name,
        "encoder_options": loaded.options,
        "checkpoint": None if loaded.checkpoint is None else str(loaded.checkpoint),
        "checkpoint_sha256": loaded.checkpoint_sha256,
        "split": split,
        "data": to_dict(data),
        "views": to_dict(views),
        "pooling": pooling,
        "feature_map_shape": map_shape or None,
        "failed_paths": list(features.failed_paths),
    }
    return write_features(features, output, class_names=list(index.classes), metadata=metadata)


def write_features(
    features: FeatureSet, output: Path, *, class_names: list[str], metadata: dict[str, Any]
) -> list[Path]:
    """Write ``features`` as ``.pt`` or ``.npy`` + ``.index.json`` (see the module docstring)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    labels = features.labels.tolist()
    videos = [
        {"position": i, "path": path, "label": label, "class_name": _class_name(class_names, label)}
        for i, (path, label) in enumerate(zip(features.paths, labels, strict=True))
    ]
    if output.suffix == ".pt":
        save_atomic(
            {
                "features": features.features,
                "labels": features.labels,
                "paths": list(features.paths),
                "class_names": class_names,
                "num_clips": features.num_clips,
                "num_crops": features.num_crops,
                "metadata": metadata,
            },
            output,
        )
        logger.info("wrote %s: features %s", output, tuple(features.features.shape))
        return [output]
    np.save(output, features.features.float().numpy())
    index_path = output.with_suffix(".index.json")
    index = {
        "num_clips": features.num_clips,
        "num_crops": features.num_crops,
        "class_names": class_names,
        "metadata": metadata,
        "videos": videos,
    }
    index_path.write_text(json.dumps(index, indent=1) + "\n")
    logger.info("wrote %s (features %s) and %s", output, tuple(features.features.shape), index_path)
    return [output, index_path]


def _class_name(class_names: list[str], label: int) -> str | None:
    return class_names[label] if 0 <= label < len(class_names) else None
