"""Pretrain, then evaluate against both baselines with the corpus's own protocol: the main job's run.

:func:`pretrain_and_evaluate` pretrains the encoder a config describes and evaluates it, a randomly
initialised copy and a copy trained with labels from scratch on the labeled splits of the same corpus
(:func:`~temporal_ssl.eval.dataset_protocols.comparison_config`), writing one report folder —
``<run folder>/report`` with one ``results.json`` — that holds the pretraining summary beside the scores.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from temporal_ssl.engine.pretrain import pretrain, resolve_output_dir
from temporal_ssl.engine.pretrain_config import PretrainConfig
from temporal_ssl.engine.signals import TrainingStopped
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.eval.dataset_protocols import comparison_config
from temporal_ssl.eval.evaluate import evaluate
from temporal_ssl.eval.results import EvalResult, PretrainingSummary

REPORT_DIRNAME = "report"


def pretrain_and_evaluate(
    config: PretrainConfig,
    *,
    resume: str | None = None,
    eval_overrides: Sequence[str] = (),
    eval_config: str | Path | None = None,
    report_dir: str | Path | None = None,
) -> EvalResult:
    """Pretrain ``config``, evaluate the checkpoint against random init and supervised from scratch.

    Args:
        config: a pretraining config (``load_pretrain_config``).
        resume: as for ``pretrain`` (``"auto"`` reuses a finished run instead of training again).
        eval_overrides: ``key=value`` changes to the evaluation config (``finetune.max_steps=50`` ...).
        eval_config: an evaluation config to use instead of the corpus's own protocol.
        report_dir: where the report goes (default ``<run folder>/report``).

    Raises:
        ConfigError: the corpus has no known protocol and no ``eval_config`` was given (before pretraining).
        TrainingStopped: a signal stopped pretraining (its checkpoint saved; the same call continues it).
        TemporalSSLError: pretraining ended early or wrote no checkpoint.
    """
    output_dir = Path(report_dir) if report_dir is not None else resolve_output_dir(config) / REPORT_DIRNAME
    evaluation = comparison_config(
        config.data,
        eval_overrides,
        path=eval_config,
        seed=config.train.seed,
        device=config.train.device,
        output_dir=output_dir,
    )
    started = time.perf_counter()
    pretraining = pretrain(config, resume=resume)
    if pretraining.stopped_by_signal is not None:
        raise TrainingStopped("pretraining", pretraining.stopped_by_signal, pretraining.checkpoint)
    if not pretraining.completed or pretraining.checkpoint is None:
        raise TemporalSSLError(
            f"pretraining stopped at step {pretraining.step}/{pretraining.total_steps}; run the same command "
            "again to continue, then the evaluation runs"
        )
    summary = PretrainingSummary(
        config.pretext.name,
        pretraining.step,
        pretraining.total_steps,
        pretraining.pretext_accuracy,
        pretraining.pretext_at_chance,
        str(pretraining.output_dir),
        time.perf_counter() - started,
    )
    return evaluate(evaluation, pretraining.checkpoint, pretraining=summary)
