"""The ``data:`` config section and the records it names: the glue between a config and a probed corpus.

``load_records(cfg)`` checks every path first, then reads the corpus with its format reader, probes it into a
``VideoIndex`` (cached, so a second run over an unchanged corpus is fast), selects the split, drops videos
shorter than ``min_frames`` and logs what it kept and left out. ``format: synthetic`` first generates (or
reuses) the embedded corpus and then reads its unlabeled multi-camera pool (``split: pretrain``) or its
labeled UCF101-like part (``split: train`` / ``test``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from temporal_ssl.config import to_dict
from temporal_ssl.data.index import VideoIndex
from temporal_ssl.data.index_build import build_index
from temporal_ssl.data.record_table import RecordTable
from temporal_ssl.data.user_cache import user_cache_dir
from temporal_ssl.errors import ConfigError, DatasetError
from temporal_ssl.io.backends import BACKEND_NAMES
from temporal_ssl.registry import DATASETS, closest_match
from temporal_ssl.synthetic.corpus import CorpusOptions, generate_corpus

logger = logging.getLogger(__name__)

INDEX_FORMAT = "index"
SYNTHETIC_FORMAT = "synthetic"
SYNTHETIC_SPLITS = ("pretrain", "train", "test")
_NUMBERED_SPLIT_FORMATS = ("ucf101", "hmdb51")  # official split files numbered 1-3; records carry train/test
_NAMED_SPLIT_FORMATS = ("kinetics", "ssv2")  # the reader keeps one split's rows itself


@dataclass
class DataConfig:
    """The ``data:`` config section: which corpus, which part of it.

    Args:
        format: ``synthetic`` (the embedded corpus, the default), a dataset format (``folder``, ``list``,
            ``ucf101``, ``hmdb51``, ``kinetics``, ``ssv2``, ``multicamera`` or a plugin's), or ``index`` (a
            file written by ``tssl build-index``, given as ``root``).
        root: the corpus root (for ``synthetic``: where the corpus is generated; ``null`` = a folder per
            option set under ``$XDG_CACHE_HOME/temporal_ssl/synthetic``, so runs with other options never
            clobber it).
        annotations: split/annotation file or folder for formats that take one (searched beside ``root``
            when ``null``).
        split: records to keep: ``train``, ``val``, ``test``; ``null`` keeps every record. For ``synthetic``:
            ``pretrain`` (the unlabeled multi-camera pool; also what ``null`` means), ``train`` or ``test``
            (the labeled UCF101-like part).
        split_number: the official split (1, 2 or 3) of UCF101 and HMDB51 (and of the synthetic labeled part).
        cache_dir: where the probe cache and the quarantine/missing reports go (``null``: beside the corpus).
        workers: processes probing new files (``null``: one per CPU).
        min_frames: drop videos with fewer frames than this (every camera of a scene); reported, never silent.
        verify_backends: backends whose seeking the probe verifies per file (``null``: every installed one);
            readers of the others decode those files linearly (exact, slower on long videos).
        synthetic: options of the synthetic corpus generator (``temporal_ssl.synthetic.corpus.CorpusOptions``;
            used by ``format: synthetic`` only).
    """

    format: str = SYNTHETIC_FORMAT
    root: str | None = None
    annotations: str | None = None
    split: str | None = None
    split_number: int = 1
    cache_dir: str | None = None
    workers: int | None = None
    min_frames: int = 0
    verify_backends: list[str] | None = None
    synthetic: CorpusOptions = field(default_factory=CorpusOptions)

    def __post_init__(self) -> None:
        formats = [SYNTHETIC_FORMAT, INDEX_FORMAT, *DATASETS.names()]
        if self.format not in formats:
            raise ConfigError(f"'data.format' = '{self.format}' is unknown"
                              f"{closest_match(self.format, formats)} Choose one of: {', '.join(formats)} "
                              "(or register a reader in a --plugin module)")
        if self.format == SYNTHETIC_FORMAT and self.split is None:
            self.split = "pretrain"
        if self.format == SYNTHETIC_FORMAT and self.split not in SYNTHETIC_SPLITS:
            raise ConfigError(f"'data.split' = {self.split!r} does not exist in the synthetic corpus; use "
                              f"{', '.join(SYNTHETIC_SPLITS)} (pretrain = the unlabeled multi-camera pool)")
        if self.format != SYNTHETIC_FORMAT and self.split == "pretrain":
            raise ConfigError(f"'data.split' = 'pretrain' only exists for format 'synthetic'; for "
                              f"'{self.format}' use train, val, test or null (every record)")
        if self.format not in (SYNTHETIC_FORMAT, INDEX_FORMAT) and self.root is None:
            raise ConfigError(f"'data.root' is required for format '{self.format}': the folder holding the "
                              "videos")
        if self.format == INDEX_FORMAT and self.root is None:
            raise ConfigError("'data.root' is required for format 'index': the index file "
                              "tssl build-index wrote")
        if self.min_frames < 0:
            raise ConfigError(f"'data.min_frames' = {self.min_frames} must be >= 0")
        unknown = [name for name in self.verify_backends or () if name not in BACKEND_NAMES]
        if unknown:
            raise ConfigError(f"'data.verify_backends' names unknown backends {unknown}; choose from "
                              f"{', '.join(BACKEND_NAMES)} (or null for every installed one)")


def load_index_for(cfg: DataConfig, *, progress: bool = True) -> VideoIndex:
    """The probed, split-selected, length-filtered index ``cfg`` names (classes and reports included)."""
    if cfg.format == SYNTHETIC_FORMAT:
        index = _synthetic_index(cfg, progress=progress)
    elif cfg.format == INDEX_FORMAT:
        index = VideoIndex.load(_existing(cfg.root, "data.root",
                                          "an index file written by tssl build-index"))
    else:
        index = _format_index(cfg, progress=progress)
    if cfg.split is not None and cfg.split != "pretrain":
        if not index.splits:
            raise ConfigError(f"'data.split' = '{cfg.split}' but the '{cfg.format}' corpus at '{cfg.root}' "
                              "has no splits; set data.split to null")
        index = index.select_split(cfg.split)
    if cfg.min_frames:
        index = index.filter_min_frames(cfg.min_frames)
    if not index.records:
        raise DatasetError(f"no usable video left in '{index.root or cfg.root}' (format '{cfg.format}', "
                           f"split {cfg.split!r}):\n{index.summary(max_classes=10)}")
    logger.info("data: %s", index.summary(max_classes=10))
    return index


def load_records(cfg: DataConfig, *, progress: bool = True) -> RecordTable:
    """The records ``cfg`` names, ready for a dataset (see :func:`load_index_for`): a ``RecordTable``, a
    sequence that builds each ``VideoRecord`` when asked, so workers share the columns instead of copying
    a list of objects."""
    return load_index_for(cfg, progress=progress).records


def _format_index(cfg: DataConfig, *, progress: bool) -> VideoIndex:
    root = _existing(cfg.root, "data.root", "the folder holding the videos")
    annotations = None if cfg.annotations is None else _existing(cfg.annotations, "data.annotations",
                                                                 "the split/annotation file or folder")
    options: dict[str, Any] = {}
    if cfg.format in _NUMBERED_SPLIT_FORMATS:
        options["split"] = cfg.split_number
    elif cfg.format in _NAMED_SPLIT_FORMATS and cfg.split is not None:
        options["split"] = cfg.split
    return build_index(cfg.format, root, annotations=annotations, options=options, cache_dir=cfg.cache_dir,
                       workers=cfg.workers, progress=progress, verify_backends=cfg.verify_backends)


def _synthetic_index(cfg: DataConfig, *, progress: bool) -> VideoIndex:
    root = Path(cfg.root).expanduser() if cfg.root is not None else default_synthetic_root(cfg.synthetic)
    corpus = generate_corpus(root, cfg.synthetic, workers=cfg.workers, progress=progress)
    if cfg.split == "pretrain":
        part = replace(cfg, format="multicamera", root=str(corpus.pretrain), annotations=None, split=None)
    else:
        part = replace(cfg, format="ucf101", root=str(corpus.ucf_root), annotations=None)
    return _format_index(part, progress=progress)


def default_synthetic_root(options: CorpusOptions) -> Path:
    """``$XDG_CACHE_HOME/temporal_ssl/synthetic/<hash of the options>``: one folder per option set."""
    digest = hashlib.sha1(json.dumps(to_dict(options), sort_keys=True).encode()).hexdigest()[:12]
    return user_cache_dir("synthetic") / digest


def _existing(path: str | None, key: str, what: str) -> Path:
    """``path`` as a Path, or a ``DatasetError`` naming the config key when it does not exist."""
    if path is None:
        raise ConfigError(f"'{key}' is required: {what}")
    resolved = Path(path).expanduser()
    if not resolved.exists():
        raise DatasetError(f"'{key}' = '{path}' does not exist; point it at {what}")
    return resolved
