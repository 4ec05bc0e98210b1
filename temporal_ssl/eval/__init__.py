"""Downstream action recognition: linear probe, fine-tuning, k-NN, VCOP retrieval, multi-view tests, reports.

Entry points: :func:`evaluate` (every protocol of an ``EvalConfig``, ``tools/evaluate.py``) and
:func:`compare_linear_probe` (pretrained vs random init vs supervised from scratch under one probe, the main
job's table). Modules, data flow order: ``config`` (schema) → ``encoders`` (checkpoint or random) →
``labeled_data`` (splits) → ``features`` / ``feature_cache`` (N clips × M crops, one decode, cached) →
``linear_probe`` / ``knn`` / ``retrieval`` / ``finetune`` → ``metrics`` → ``protocols`` (rows) → ``report``.
"""

from temporal_ssl.eval.compare import ComparisonResult, compare_linear_probe, save_comparison_report
from temporal_ssl.eval.config import (
    ClipViews,
    EvalConfig,
    ExtractionConfig,
    FeatureConfig,
    FinetuneConfig,
    KnnConfig,
    LinearProbeConfig,
    RetrievalConfig,
    load_eval_config,
)
from temporal_ssl.eval.encoders import LoadedEncoder, load_encoder, random_encoder
from temporal_ssl.eval.evaluate import evaluate
from temporal_ssl.eval.features import FeatureSet, extract_features
from temporal_ssl.eval.results import EvalResult, ProtocolResult

__all__ = [
    "ClipViews",
    "ComparisonResult",
    "EvalConfig",
    "EvalResult",
    "ExtractionConfig",
    "FeatureConfig",
    "FeatureSet",
    "FinetuneConfig",
    "KnnConfig",
    "LinearProbeConfig",
    "LoadedEncoder",
    "ProtocolResult",
    "RetrievalConfig",
    "compare_linear_probe",
    "evaluate",
    "extract_features",
    "load_encoder",
    "load_eval_config",
    "random_encoder",
    "save_comparison_report",
]
