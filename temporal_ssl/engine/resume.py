"""What a training checkpoint holds, and how a run is put back exactly where it stopped.

Every rank's RNG states and loader position are gathered to rank 0 and saved, so a resumed run — with the same
number of processes — continues with the same batches, augmentations, dropout masks and weights as a run that
never stopped (bit-exact on CPU). Rank 0 alone writes the file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from temporal_ssl.engine.checkpoint import (
    CHECKPOINT_DIRNAME,
    FORMAT_VERSION,
    capture_rng_state,
    checkpoint_path,
    prune_checkpoints,
    restore_rng_state,
    save_atomic,
)
from temporal_ssl.engine.distributed import gather_to_main
from temporal_ssl.engine.training_run import TrainingRun
from temporal_ssl.errors import CheckpointError

logger = logging.getLogger(__name__)

MUST_MATCH_ON_RESUME = ("pretext", "model", "finetune")
"""Config sections a resumed run may not change: they define what the weights mean (a fine-tune's whole
section, since a re-run of the same evaluation continues its fine-tune by default)."""


def save_training_checkpoint(run: TrainingRun) -> Path | None:
    """Save ``run`` after ``run.step`` steps (collective: every rank must call it); returns the path.

    A run without checkpoints (no output folder, or ``train.save_checkpoints: false``) saves nothing and
    returns ``None``.
    """
    if not run.saves_checkpoints or run.output_dir is None:
        return None
    per_rank = gather_to_main({"rng": capture_rng_state(), "loader": run.loader.state_dict()})
    directory = run.output_dir / CHECKPOINT_DIRNAME
    path = checkpoint_path(directory, run.step)
    if run.ctx.is_main:
        state = {
            "format_version": FORMAT_VERSION,
            "step": run.step,
            "epoch": run.loader.epoch,
            "total_steps": run.total_steps,
            "world_size": run.ctx.world_size,
            "model": run.model.state_dict(),
            "loss": run.loss_fn.state_dict() if isinstance(run.loss_fn, nn.Module) else {},
            "optimizer": run.optimizer.state_dict(),
            "scaler": run.scaler.state_dict(),
            "per_rank": per_rank,
            "config": run.config,
            "torch_version": str(torch.__version__),
        }
        save_atomic(state, path)
        prune_checkpoints(directory, run.train.keep_checkpoints)
        logger.info("saved checkpoint %s", path)
    run.last_checkpoint = path
    return path


def restore_training_run(run: TrainingRun, checkpoint: Mapping[str, Any], path: Path) -> None:
    """Load weights, optimizer, scaler, step, loader position and this rank's RNG states into ``run``.

    Call it last before :func:`~temporal_ssl.engine.trainer.fit`, after everything that may draw random
    numbers while being built (model construction, DDP, ``torch.compile``).
    """
    check_resume_config(checkpoint.get("config", {}), run.config, path)
    try:
        run.model.load_state_dict(checkpoint["model"])
        if isinstance(run.loss_fn, nn.Module):
            run.loss_fn.load_state_dict(checkpoint["loss"])
        run.optimizer.load_state_dict(checkpoint["optimizer"])
        run.scaler.load_state_dict(checkpoint["scaler"])
    except (RuntimeError, KeyError, ValueError) as error:
        raise CheckpointError(f"checkpoint '{path}' does not fit this model: {error}") from None
    run.step = int(checkpoint["step"])
    run.last_checkpoint = path
    per_rank = checkpoint["per_rank"]
    if len(per_rank) == run.ctx.world_size:
        mine = per_rank[run.ctx.rank]
        run.loader.load_state_dict(mine["loader"])
        restore_rng_state(mine["rng"])
    else:
        logger.warning(
            "checkpoint '%s' was written by %d process(es), this run has %d: weights and optimizer are "
            "restored, the data position continues from rank 0's, random streams are re-seeded; the "
            "run will not repeat the original exactly",
            path,
            len(per_rank),
            run.ctx.world_size,
        )
        run.loader.load_state_dict(per_rank[0]["loader"])
        torch.manual_seed(run.train.seed + 1000 * run.step + run.ctx.rank)
    if int(checkpoint.get("total_steps", run.total_steps)) != run.total_steps:
        logger.info(
            "the run length changed from %s to %d steps: the learning-rate schedule is stretched to match",
            checkpoint.get("total_steps"),
            run.total_steps,
        )
    logger.info("resumed from '%s' at step %d", path, run.step)


def check_resume_config(saved: Mapping[str, Any], current: Mapping[str, Any], path: Path) -> None:
    """Refuse to resume when the ``pretext`` or ``model`` section differs from the checkpoint's."""
    for section in MUST_MATCH_ON_RESUME:
        difference = first_difference(saved.get(section), current.get(section), section)
        if difference is not None:
            raise CheckpointError(
                f"cannot resume from '{path}': {difference}. The '{section}' section defines what the "
                "weights mean; resume with the config saved beside the checkpoint (config.yaml), or start a "
                "new run in another --output-dir"
            )


def first_difference(saved: Any, current: Any, where: str) -> str | None:
    """The first key whose value differs between two nested configs, as a readable sentence."""
    if isinstance(saved, Mapping) and isinstance(current, Mapping):
        for key in sorted(set(saved) | set(current)):
            found = first_difference(saved.get(key), current.get(key), f"{where}.{key}")
            if found is not None:
                return found
        return None
    if saved != current:
        return f"'{where}' is {current!r} now but was {saved!r} in the checkpoint"
    return None
