"""The labeled train and test videos an evaluation runs on, with the class names.

Both parts come from one ``data`` section (the pipeline's ``DataConfig``) with ``split`` replaced by the
evaluation's ``train_split`` / ``test_split``. For the synthetic corpus, the checkpoint's own corpus (its
``data.root`` and generator options) is used when asked, so the labeled part of the corpus the encoder was
pretrained on is evaluated and nothing is regenerated.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from temporal_ssl.config import from_dict
from temporal_ssl.errors import DatasetError
from temporal_ssl.pipeline.records import SYNTHETIC_FORMAT, DataConfig, load_index_for
from temporal_ssl.types import VideoRecord

logger = logging.getLogger(__name__)


@dataclass
class LabeledSplits:
    """Training and test videos of a labeled corpus.

    Args:
        train_records, test_records: the two parts (every record labeled).
        class_names: names of labels ``0 .. C-1``.
        data: the data section they were read with (split left as the training split).
    """

    train_records: list[VideoRecord]
    test_records: list[VideoRecord]
    class_names: list[str]
    data: DataConfig

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def data_for_checkpoint(data: DataConfig, checkpoint_config: Mapping[str, Any]) -> DataConfig:
    """``data``, or the checkpoint's synthetic corpus when both name the synthetic format."""
    saved = checkpoint_config.get("data")
    if (
        data.format != SYNTHETIC_FORMAT
        or not isinstance(saved, Mapping)
        or saved.get("format") != SYNTHETIC_FORMAT
    ):
        return data
    corpus = from_dict(DataConfig, saved, where="checkpoint config.data")
    logger.info(
        "evaluating on the labeled part of the checkpoint's synthetic corpus (%s)",
        corpus.root or "default location",
    )
    return replace(data, root=corpus.root, synthetic=corpus.synthetic)


def load_labeled_splits(
    data: DataConfig, *, train_split: str, test_split: str, progress: bool = True
) -> LabeledSplits:
    """Read both splits; every video must be labeled and both splits must share the class list."""
    parts = []
    classes: tuple[str, ...] = ()
    for split in (train_split, test_split):
        index = load_index_for(replace(data, split=split), progress=progress)
        unlabeled = [r.path for r in index.records if r.label is None]
        if unlabeled:
            raise DatasetError(
                f"the '{split}' split of '{index.root or data.root}' has {len(unlabeled)} "
                f"unlabeled video(s), e.g. '{unlabeled[0]}'; evaluation needs labeled splits "
                "(data.split / train_split / test_split)"
            )
        if index.classes:
            if classes and index.classes != classes:
                raise DatasetError(
                    f"the '{train_split}' and '{split}' splits list different classes; use one "
                    "annotation set for both"
                )
            classes = index.classes
        parts.append(list(index.records))
    train, test = parts
    num_classes = len(classes) or 1 + max(int(r.label) for r in train + test)  # type: ignore[arg-type]
    names = list(classes) if classes else [str(c) for c in range(num_classes)]
    logger.info(
        "evaluation data: %d training and %d test videos, %d classes", len(train), len(test), num_classes
    )
    return LabeledSplits(train, test, names, replace(data, split=train_split))
