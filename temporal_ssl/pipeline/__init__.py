"""Records in, batches out: execute pretext plans (one decode per camera), augment, collate, load.

Modules: ``decode`` runs a :class:`~temporal_ssl.types.SamplePlan` (the only place a plan is decoded); the
dataset, collation and the resumable loader build on it.
"""

from temporal_ssl.pipeline.bad_videos import BadVideoLog
from temporal_ssl.pipeline.collate import collate_examples
from temporal_ssl.pipeline.dataset import PretextDataset
from temporal_ssl.pipeline.decode import decode_views
from temporal_ssl.pipeline.eval_clips import (
    ClipBatch,
    ClipSample,
    EvalClipDataset,
    LabeledClips,
    build_eval_loader,
    collate_clips,
)
from temporal_ssl.pipeline.loader import LoaderConfig, TrainLoader, build_loader
from temporal_ssl.pipeline.records import DataConfig, load_index_for, load_records
from temporal_ssl.pipeline.video_sampler import ResumableVideoSampler, SampleKey

__all__ = [
    "BadVideoLog",
    "ClipBatch",
    "ClipSample",
    "DataConfig",
    "EvalClipDataset",
    "LabeledClips",
    "LoaderConfig",
    "PretextDataset",
    "ResumableVideoSampler",
    "SampleKey",
    "TrainLoader",
    "build_eval_loader",
    "build_loader",
    "collate_clips",
    "collate_examples",
    "decode_views",
    "load_index_for",
    "load_records",
]
