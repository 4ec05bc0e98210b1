"""``evaluate(config, checkpoint)``: every protocol of a config, for the checkpoint and the baselines asked.

Order: the encoder and the config are checked first (a wrong checkpoint or architecture fails in seconds),
then the labeled splits are read, the supervised-from-scratch baseline is trained if asked (its encoder is
then evaluated like the others), the protocols run in the config's order, and the report is written.

Subjects: ``pretrained`` (the checkpoint; ``random_init`` when the checkpoint is ``random``), plus the
baselines ``random_init`` (same architecture and seed, no training) and ``supervised_scratch`` (the
fine-tuning protocol from that same random initialisation). Fine-tuning a random initialisation *is* the
supervised baseline, so that row is always named ``supervised_scratch``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path

import torch

from temporal_ssl.config import to_dict
from temporal_ssl.engine.distributed import resolve_device
from temporal_ssl.errors import ConfigError
from temporal_ssl.eval.config import EvalConfig
from temporal_ssl.eval.encoders import (
    RANDOM_CHECKPOINT,
    LoadedEncoder,
    load_encoder,
    random_encoder,
    weights_sha256,
)
from temporal_ssl.eval.labeled_data import LabeledSplits, data_for_checkpoint, load_labeled_splits
from temporal_ssl.eval.protocols import RunSettings, Subject, feature_protocol_rows, finetune_row
from temporal_ssl.eval.report import write_report
from temporal_ssl.eval.results import (
    PRETRAINED,
    RANDOM_INIT,
    SUPERVISED_SCRATCH,
    EvalResult,
    PretrainingSummary,
    ProtocolResult,
)

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT_ROOT = Path("runs") / "eval"


def resolve_eval_device(choice: str) -> torch.device:
    """``auto`` → the local GPU if any, else the CPU; ``cuda`` without a GPU is a ``ConfigError``."""
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device = 'cuda' but torch.cuda.is_available() is False; set device=cpu (or auto)")
    return resolve_device("cpu" if choice == "cpu" else "auto")


def default_output_dir(checkpoint: str | Path) -> Path:
    """``runs/eval/<run name>``: the pretraining run's folder name (``.../<run>/checkpoints/x.pt``), else the
    checkpoint's file stem, or ``random``."""
    if str(checkpoint) == RANDOM_CHECKPOINT:
        return DEFAULT_OUTPUT_ROOT / RANDOM_CHECKPOINT
    path = Path(checkpoint)
    run = path.parent.parent.name if path.parent.name == "checkpoints" else path.stem
    return DEFAULT_OUTPUT_ROOT / (run or path.stem)


def load_subject_encoder(config: EvalConfig, checkpoint: str | Path) -> LoadedEncoder:
    """The encoder under evaluation (from the checkpoint, or random with ``model.encoder``)."""
    return load_encoder(
        checkpoint,
        encoder=config.model.encoder,
        encoder_options=config.model.encoder_options,
        seed=config.seed,
    )


def evaluate(
    config: EvalConfig,
    checkpoint: str | Path,
    *,
    splits: LabeledSplits | None = None,
    write: bool = True,
    pretraining: PretrainingSummary | None = None,
) -> EvalResult:
    """Run ``config.protocols`` on ``checkpoint`` (and ``config.baselines``); write the report.

    Args:
        config: the validated evaluation config.
        checkpoint: a checkpoint path, or ``"random"`` (then ``config.model.encoder`` names the architecture).
        splits: labeled videos already read (``None``: read from ``config.data``).
        write: write the report (``results.json``, ``results.md``, confusion PNGs, per-class CSVs, accuracy
            bars) to the output folder (``config.output_dir``, default :func:`default_output_dir`), and
            fine-tuning logs and checkpoints beside them; ``False`` writes nothing.
        pretraining: the pretraining that produced ``checkpoint`` in the same command, reported with it.
    """
    started = time.perf_counter()
    device = resolve_eval_device(config.device)
    loaded = load_subject_encoder(config, checkpoint)
    loaded.encoder.to(device)
    is_random = loaded.checkpoint is None
    output_dir = Path(config.output_dir) if config.output_dir else default_output_dir(checkpoint)
    if splits is None:
        data = (
            data_for_checkpoint(config.data, loaded.checkpoint_config)
            if config.use_checkpoint_corpus
            else config.data
        )
        splits = load_labeled_splits(data, train_split=config.train_split, test_split=config.test_split)
    model_config = {"encoder": loaded.name, "encoder_options": loaded.options}
    main_name = RANDOM_INIT if is_random else PRETRAINED
    subjects = [Subject(main_name, loaded.encoder, weights_sha256(loaded.encoder))]
    if RANDOM_INIT in config.baselines and not is_random:
        baseline = random_encoder(loaded.name, loaded.options, seed=config.seed).encoder.to(device)
        subjects.append(Subject(RANDOM_INIT, baseline, weights_sha256(baseline)))
    run = RunSettings(config.extraction, device, config.seed, output_dir if write else None)
    supervised_row = None
    if SUPERVISED_SCRATCH in config.baselines or (is_random and "finetune" in config.protocols):
        start = (
            loaded.encoder
            if is_random
            else random_encoder(loaded.name, loaded.options, seed=config.seed).encoder
        )
        supervised_row, supervised = finetune_row(
            SUPERVISED_SCRATCH, start, splits, config.finetune, run, model_config=model_config
        )
        if SUPERVISED_SCRATCH in config.baselines:
            encoder = supervised.trained.model.encoder
            subjects.append(Subject(SUPERVISED_SCRATCH, encoder, weights_sha256(encoder)))
    rows: list[ProtocolResult] = []
    for protocol in config.protocols:
        if protocol == "finetune":
            if not is_random:
                rows.append(
                    finetune_row(
                        PRETRAINED,
                        loaded.encoder,
                        splits,
                        config.finetune,
                        run,
                        model_config=model_config,
                    )[0]
                )
            if supervised_row is not None:
                rows.append(supervised_row)
            continue
        section = getattr(config, protocol)
        rows += feature_protocol_rows(protocol, subjects, splits, section, run)
    if supervised_row is not None and "finetune" not in config.protocols:
        rows.append(supervised_row)
    resolved = replace(config, data=splits.data, output_dir=str(output_dir))
    result = EvalResult(
        rows,
        loaded.name,
        loaded.options,
        None if is_random else str(loaded.checkpoint),
        loaded.checkpoint_sha256,
        splits.class_names,
        to_dict(resolved),
        pretraining=pretraining,
        seconds={
            **({"pretrain": pretraining.seconds} if pretraining is not None else {}),
            "evaluate": time.perf_counter() - started,
        },
    )
    if write:
        write_report(result, output_dir)
    return result
