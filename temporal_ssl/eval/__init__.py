"""Downstream action recognition: linear probe, fine-tuning, k-NN, VCOP retrieval, multi-view tests, reports.

Entry points: :func:`evaluate` (every protocol of an ``EvalConfig``, with the baselines it asks for,
``tools/evaluate.py``) and :func:`pretrain_and_evaluate` (pretrain, then compare with random init and
supervised from scratch under the corpus's own protocol: the main job). Modules, data flow order: ``config``
(schema) → ``encoders`` (checkpoint or random) → ``labeled_data`` (splits) → ``features`` / ``feature_cache``
(N clips × M crops, one decode, cached) → ``linear_probe`` / ``knn`` / ``retrieval`` / ``finetune`` →
``metrics`` → ``protocols`` (rows of ``results``) → ``report`` (one ``results.json``, ``results_json``).
"""

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
from temporal_ssl.eval.dataset_protocols import comparison_config
from temporal_ssl.eval.encoders import LoadedEncoder, load_encoder, random_encoder
from temporal_ssl.eval.evaluate import evaluate
from temporal_ssl.eval.features import FeatureSet, extract_features
from temporal_ssl.eval.pretrain_and_evaluate import pretrain_and_evaluate
from temporal_ssl.eval.results import (
    ClassificationScores,
    EvalResult,
    ProtocolResult,
    PublishedValue,
    RetrievalScores,
)

__all__ = [
    "ClassificationScores",
    "ClipViews",
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
    "PublishedValue",
    "RetrievalConfig",
    "RetrievalScores",
    "comparison_config",
    "evaluate",
    "extract_features",
    "load_encoder",
    "load_eval_config",
    "pretrain_and_evaluate",
    "random_encoder",
]
