"""The ``train:`` section of a pretraining config: how long, how precise, how often to log and save."""

from __future__ import annotations

from dataclasses import dataclass

from temporal_ssl.engine.distributed import DeviceChoice
from temporal_ssl.engine.step import AmpMode


@dataclass(frozen=True)
class TrainConfig:
    """Run length, precision, checkpointing and logging.

    A *step* is one optimizer update; it consumes ``grad_accum_steps`` loader batches on every rank, so the
    global batch is ``loader.batch_size × grad_accum_steps × world_size``.

    Args:
        max_steps: optimizer steps to train; with ``epochs`` as well, the run stops at whichever comes first.
        epochs: passes over the corpus (converted to steps from the loader's length).
        amp: ``"auto"`` (bf16 on GPUs that support it, fp16 on older ones, off on CPU), ``"off"``, ``"bf16"``
            or ``"fp16"`` (CUDA only; uses a gradient scaler).
        grad_accum_steps: loader batches per optimizer step.
        clip_grad_norm: clip the global gradient norm to this value; ``null`` = no clipping (the norm is still
            logged).
        compile: ``torch.compile`` the model (first steps are slow while it compiles).
        checkpoint_every_steps: save every N steps (and always at the end or on SIGTERM/SIGINT).
        keep_checkpoints: how many recent checkpoints to keep (0 = all).
        log_every_steps: write a metrics line every N steps.
        seed: seeds model initialisation, the data order and every augmentation.
        output_dir: the run folder; ``null`` = ``runs/pretrain/<pretext name>``.
        device: ``"auto"`` (the local GPU if any), ``"cpu"`` or ``"cuda"``.
        tensorboard: also write TensorBoard events; ``null`` (the default) = whenever the ``tensorboard``
            package is installed, ``true`` = required (an error without the package), ``false`` = never.
        save_checkpoints: write checkpoints (``false``: nothing to resume from; for short throw-away runs).
        progress_bar: show a tqdm progress bar with ETA on rank 0.
        sync_batchnorm: convert BatchNorm to SyncBatchNorm under multi-GPU DDP (CUDA only).
        find_unused_parameters: DDP option for models with branches that some steps do not use.
        deterministic: deterministic cuDNN / torch algorithms on GPU (slower; CPU runs are deterministic).
    """

    max_steps: int | None = None
    epochs: int | None = None
    amp: AmpMode = "auto"
    grad_accum_steps: int = 1
    clip_grad_norm: float | None = None
    compile: bool = False
    checkpoint_every_steps: int = 500
    keep_checkpoints: int = 3
    log_every_steps: int = 10
    seed: int = 0
    output_dir: str | None = None
    device: DeviceChoice = "auto"
    tensorboard: bool | None = None
    save_checkpoints: bool = True
    progress_bar: bool = True
    sync_batchnorm: bool = False
    find_unused_parameters: bool = False
    deterministic: bool = False

    def __post_init__(self) -> None:
        if self.max_steps is None and self.epochs is None:
            raise ValueError("set train.max_steps or train.epochs (how long to train)")
        for key in ("max_steps", "epochs", "grad_accum_steps", "checkpoint_every_steps", "log_every_steps"):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ValueError(f"train.{key} must be >= 1, got {value}")
        if self.clip_grad_norm is not None and not self.clip_grad_norm > 0:
            raise ValueError(
                f"train.clip_grad_norm must be > 0 (or null for no clipping), got {self.clip_grad_norm}"
            )
        if self.keep_checkpoints < 0:
            raise ValueError(
                f"train.keep_checkpoints must be >= 0 (0 keeps all), got {self.keep_checkpoints}"
            )
