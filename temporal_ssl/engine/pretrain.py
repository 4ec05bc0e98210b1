"""``pretrain(config)``: validate, build, load the corpus, train, and return where the checkpoint went.

Order matters: everything that can be checked without data (schema, pretext/model/loss construction, device,
precision, TensorBoard, the output folder and the checkpoint to resume) is checked first, so a mistake fails
in seconds; only then is the corpus indexed and the loader built. Under ``torchrun`` every process calls this
function; rank 0 indexes (or generates) the corpus first and the others reuse its cache.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

from temporal_ssl.config import save_config, to_dict
from temporal_ssl.cpus import threads_beside_workers
from temporal_ssl.engine.checkpoint import checkpoint_to_resume
from temporal_ssl.engine.components import Components, build_components
from temporal_ssl.engine.distributed import (
    DistributedContext,
    barrier,
    broadcast_from_main,
    init_distributed,
    resolve_device,
    shutdown_distributed,
)
from temporal_ssl.engine.metrics_log import check_tensorboard_available
from temporal_ssl.engine.pretrain_config import PretrainConfig
from temporal_ssl.engine.run import PretrainResult, run_training, seed_everything
from temporal_ssl.engine.step import resolve_amp
from temporal_ssl.errors import ConfigError
from temporal_ssl.pipeline.loader import build_loader
from temporal_ssl.pipeline.records import load_records

logger = logging.getLogger(__name__)

DEFAULT_OUTPUT_ROOT = Path("runs") / "pretrain"


def resolve_output_dir(config: PretrainConfig) -> Path:
    """``train.output_dir``, or ``runs/pretrain/<pretext name>`` when it is not set."""
    return (
        Path(config.train.output_dir)
        if config.train.output_dir
        else DEFAULT_OUTPUT_ROOT / config.pretext.name
    )


def check_run_settings(config: PretrainConfig, device: torch.device) -> None:
    """Settings that depend on the device: precision, SyncBN, the loader's device, TensorBoard."""
    resolve_amp(config.train.amp, device)
    if config.train.sync_batchnorm and device.type != "cuda":
        raise ConfigError(
            "train.sync_batchnorm = true needs CUDA (SyncBatchNorm has no CPU kernel); "
            "set train.sync_batchnorm=false on the CPU"
        )
    if config.loader.device != "cpu" and device.type != "cuda":
        raise ConfigError(
            f"loader.device = '{config.loader.device}' (GPU decoding) but training runs on "
            f"'{device}'; set loader.device=cpu or train on a GPU"
        )
    if config.train.tensorboard:
        check_tensorboard_available()


def check_config(config: PretrainConfig) -> Components:
    """What :func:`pretrain` checks before touching data, no training (``tools/pretrain.py --dry-run``)."""
    check_run_settings(config, resolve_device(config.train.device, 0))
    return build_components(config)


def prepare(
    config: PretrainConfig, ctx: DistributedContext, resume: str | None
) -> tuple[Components, Path, Path | None]:
    """Validate and build all that needs no data; returns the components, output folder and resume path.

    Args:
        config: the validated schema.
        ctx: this process's place in the run.
        resume: ``None`` (fresh start), ``"auto"`` (latest checkpoint of the output folder, if any) or a path.
    """
    check_run_settings(config, ctx.device)
    if config.train.deterministic:
        torch.backends.cudnn.benchmark = False
        torch.use_deterministic_algorithms(True, warn_only=True)
    elif ctx.device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed clip shapes: let cuDNN pick the fastest kernels
    seed_everything(config.train.seed)  # same initial weights on every rank
    components = build_components(config)
    output_dir = resolve_output_dir(config)
    resume_path: Path | None = None
    if ctx.is_main:
        resume_path = checkpoint_to_resume(resume, output_dir)
        output_dir.mkdir(parents=True, exist_ok=True)
        save_config(config, output_dir / "config.yaml")
    resume_path = broadcast_from_main(
        resume_path
    )  # the output folder must be on a filesystem all nodes share
    return components, output_dir, resume_path


def pretrain(config: PretrainConfig, *, resume: str | None = None) -> PretrainResult:
    """Pretrain the encoder ``config`` describes; returns the run's outputs (``result.checkpoint``).

    Single process: ``pretrain(load_pretrain_config("configs/pretrain/vcop.yaml"))``. Under ``torchrun`` every
    process runs the same call (see ``tools/pretrain.py`` for the launch commands).
    """
    ctx = init_distributed(config.train.device)
    try:
        components, output_dir, resume_path = prepare(config, ctx, resume)
        if ctx.is_main:
            records = load_records(config.data)
        barrier()  # rank 0 generated / indexed the corpus; the others read its cache
        if not ctx.is_main:
            records = load_records(config.data, progress=False)
        loader = build_loader(
            records,
            components.pretext,
            config.loader,
            augment=config.augment,
            seed=config.train.seed,
            rank=ctx.rank,
            world_size=ctx.world_size,
            output_dir=output_dir,
        )
        with threads_beside_workers(config.loader.worker_processes, ctx.device):
            return run_training(
                model=components.model,
                loss_fn=components.loss_fn,
                loader=loader,
                ctx=ctx,
                train=config.train,
                optim=config.optim,
                config=to_dict(config),
                output_dir=output_dir,
                resume_from=resume_path,
                run_name=config.pretext.name,
            )
    finally:
        shutdown_distributed()
