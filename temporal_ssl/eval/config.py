"""The evaluation config schema (``configs/eval/*.yaml``): one dataclass per section, checked before any data.

A config names the protocols to run and holds one section per protocol; each section carries its own views
(``N`` clips × ``M`` crops of ``T`` frames at stride ``s``) because the published protocols differ:

- ``linear_probe``: frozen features, standardised, a multinomial logistic regression (L-BFGS or SGD);
- ``finetune``: the whole network trained on labeled clips (also the supervised-from-scratch baseline);
- ``knn``: cosine k-nearest-neighbour vote of video features;
- ``retrieval``: VCOP's nearest-neighbour video retrieval (Xu et al., CVPR 2019).

The ``data`` section is the pipeline's :class:`~temporal_ssl.pipeline.records.DataConfig` (configs include a
``configs/data/*.yaml`` file); ``train_split`` and ``test_split`` pick the two parts of it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from temporal_ssl.config import load_config
from temporal_ssl.data.transforms import VideoAugmentation, VideoEvalTransform
from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.engine.step import AmpMode
from temporal_ssl.pipeline.loader import LoaderConfig
from temporal_ssl.pipeline.records import DataConfig

Protocol = Literal["linear_probe", "finetune", "knn", "retrieval"]
PROTOCOLS: tuple[Protocol, ...] = ("linear_probe", "finetune", "knn", "retrieval")
Baseline = Literal["random_init", "supervised_scratch"]
FeaturePooling = Literal["global", "keep_time", "vcop_map"]
"""How a clip becomes one feature vector:

- ``global``: the encoder's ``forward_features`` (pooled over time and space), ``D`` values;
- ``keep_time``: the last feature map averaged over space only, time axis kept (``D·T'`` values) — "tGAP", an
  aid for the small synthetic corpus (its classes differ in how motion unfolds), not a published protocol;
- ``vcop_map``: VCOP's retrieval feature, the last feature map after a ``(1, 2, 2)`` max-pool, flattened.
"""


@dataclass(frozen=True)
class ClipViews:
    """Which clips of a video are encoded: ``num_clips`` uniform clips × ``transform.num_crops`` crops.

    Args:
        num_clips: ``N`` uniformly spaced clips per video (first at frame 0, last ending at the last frame).
        num_frames_per_clip: ``T``.
        frame_stride: frame step inside a clip.
        transform: resize (at decode time), crop(s) and normalisation; ``num_crops`` is ``M``.
    """

    num_clips: int = 10
    num_frames_per_clip: int = 16
    frame_stride: int = 1
    transform: VideoEvalTransform = field(default_factory=VideoEvalTransform)

    def __post_init__(self) -> None:
        for key in ("num_clips", "num_frames_per_clip", "frame_stride"):
            if getattr(self, key) < 1:
                raise ValueError(f"views.{key} must be >= 1, got {getattr(self, key)}")

    @property
    def num_crops(self) -> int:
        return self.transform.num_crops

    @property
    def views_per_video(self) -> int:
        """``N·M``."""
        return self.num_clips * self.transform.num_crops


@dataclass(frozen=True)
class FeatureConfig:
    """Frozen features of one protocol: the pooling and the views of each split.

    Args:
        pooling: see :data:`FeaturePooling`.
        test_views: views of every test video (multi-view testing).
        train_views: views of every training video; ``null`` = the test views.
    """

    pooling: FeaturePooling = "global"
    test_views: ClipViews = field(default_factory=ClipViews)
    train_views: ClipViews | None = None

    @property
    def views_for_train(self) -> ClipViews:
        return self.test_views if self.train_views is None else self.train_views


@dataclass(frozen=True)
class LinearProbeConfig:
    """Linear classifier on frozen features (CoCLR-style feature probe).

    Args:
        features: pooling and views.
        standardize: scale every feature to mean 0, std 1 on the training set (the same transform is applied
            to the test set); without it the probe's accuracy depends heavily on the weight decay.
        l2_normalize: L2-normalise each feature vector first (CVRL's linear evaluation).
        train_on: ``views`` = every training view is a sample; ``video_mean`` = one averaged vector per video.
        solver: ``lbfgs`` (full batch, fast for up to ~10^5 samples) or ``sgd`` (mini-batch, cosine schedule:
            VideoMAE's SSv2 linear probe is SGD lr 0.1, wd 0, batch 1024, 100 epochs).
        weight_decay: L2 penalty ``wd/2·‖W‖²`` on the mean cross-entropy; ``null`` = chosen from
            ``weight_decay_grid`` on a held-out part of the training videos.
        weight_decay_grid: candidates for that choice.
        validation_fraction: fraction of training videos (per class) held out for the choice.
        validation_folds: 1 = hold ``validation_fraction`` out once; k >= 2 = k-fold cross-validation, every
            training video held out once, for a held-out accuracy with a fraction of the noise on small sets.
        max_iterations: L-BFGS iterations.
        epochs, lr, batch_size, momentum, warmup_epochs: the SGD solver's schedule.
    """

    features: FeatureConfig = field(default_factory=FeatureConfig)
    standardize: bool = True
    l2_normalize: bool = False
    train_on: Literal["views", "video_mean"] = "views"
    solver: Literal["lbfgs", "sgd"] = "lbfgs"
    weight_decay: float | None = None
    weight_decay_grid: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
    validation_fraction: float = 0.2
    validation_folds: int = 1
    max_iterations: int = 300
    epochs: int = 100
    lr: float = 0.1
    batch_size: int = 1024
    momentum: float = 0.9
    warmup_epochs: int = 0

    def __post_init__(self) -> None:
        if self.weight_decay is not None and self.weight_decay < 0:
            raise ValueError(
                f"linear_probe.weight_decay must be >= 0 (or null to choose it), got {self.weight_decay}"
            )
        if self.weight_decay is None and (not self.weight_decay_grid or min(self.weight_decay_grid) < 0):
            raise ValueError("linear_probe.weight_decay_grid must list values >= 0 when weight_decay is null")
        if not 0 < self.validation_fraction < 1:
            raise ValueError(
                f"linear_probe.validation_fraction must be in (0, 1), got {self.validation_fraction}"
            )
        for key in ("validation_folds", "max_iterations", "epochs", "batch_size"):
            if getattr(self, key) < 1:
                raise ValueError(f"linear_probe.{key} must be >= 1, got {getattr(self, key)}")
        if not self.lr > 0 or not 0 <= self.momentum < 1 or not 0 <= self.warmup_epochs < self.epochs:
            raise ValueError(
                f"linear_probe: lr ({self.lr}) must be > 0, momentum ({self.momentum}) in [0, 1) "
                f"and warmup_epochs ({self.warmup_epochs}) in [0, epochs)"
            )


@dataclass(frozen=True)
class KnnConfig:
    """Weighted k-nearest-neighbour classification of video features (cosine similarity).

    Args:
        features: pooling and views (each video's views are averaged into one vector).
        k: neighbours that vote (InstDisc/DINO use 200 on ImageNet; 20 suits small video sets).
        temperature: a neighbour with similarity ``s`` votes ``exp(s / temperature)`` (InstDisc, DINO: 0.07).
        weighting: ``temperature`` as above, or ``uniform`` (one vote each).
        standardize: standardise features on the gallery before the cosine (not in the published protocols).
    """

    features: FeatureConfig = field(default_factory=FeatureConfig)
    k: int = 20
    temperature: float = 0.07
    weighting: Literal["temperature", "uniform"] = "temperature"
    standardize: bool = False

    def __post_init__(self) -> None:
        if self.k < 1 or not self.temperature > 0:
            raise ValueError(
                f"knn.k must be >= 1 and knn.temperature > 0, got {self.k} and {self.temperature}"
            )


@dataclass(frozen=True)
class RetrievalConfig:
    """Nearest-neighbour video retrieval, VCOP's protocol (Xu et al., CVPR 2019).

    Test videos query the training videos; a query is a hit at ``k`` when ANY of its ``k`` nearest training
    videos (cosine distance between view-averaged features) has its class.

    Args:
        features: VCOP: ``vcop_map`` pooling, 10 uniform clips of 16 frames, 128×171 → centre 112 crop.
        topk: the ``k`` values reported.
        standardize: standardise features on the gallery first (not in VCOP).
    """

    features: FeatureConfig = field(
        default_factory=lambda: FeatureConfig(
            pooling="vcop_map", test_views=ClipViews(transform=VideoEvalTransform(resize=(128, 171)))
        )
    )
    topk: tuple[int, ...] = (1, 5, 10, 20, 50)
    standardize: bool = False

    def __post_init__(self) -> None:
        if 1 not in self.topk or min(self.topk) < 1:
            raise ValueError(f"retrieval.topk must list values >= 1 including 1, got {list(self.topk)}")


@dataclass(frozen=True)
class FinetuneConfig:
    """Full fine-tuning: encoder + linear head trained on random labeled clips, then multi-view testing.

    Also the supervised-from-scratch baseline (the same protocol from a random initialisation).

    Args:
        num_frames_per_clip, frame_stride: the training clip.
        augment: training augmentation (temporally consistent; ``null`` = none).
        loader: batch size, workers, decode size of the training loader.
        optim: optimizer and schedule (the engine's ``OptimConfig``).
        max_steps: optimizer steps; with ``epochs`` as well, whichever comes first.
        epochs: passes over the training videos.
        backbone_lr_scale: the encoder's learning rate is ``lr × backbone_lr_scale`` (the head gets ``lr``);
            ``0`` freezes the encoder (BatchNorm in eval mode): a linear probe trained on augmented clips, as
            PySlowFast's ``DETACH_FINAL_FC`` linear evaluation.
        head_dropout: dropout before the linear head.
        label_smoothing: cross-entropy label smoothing.
        amp: ``auto`` (bf16/fp16 on a GPU, off on the CPU), ``off``, ``bf16``, ``fp16``.
        grad_accum_steps: loader batches per optimizer step.
        clip_grad_norm: clip the gradient norm (``null``: no clipping).
        log_every_steps: metrics line interval.
        progress_bar: show a progress bar.
        save_checkpoint: write the fine-tuned model (encoder + head) into the output folder.
        checkpoint_every_steps: save every N steps (and always at the end or on SIGTERM/SIGINT), so that
            ``--resume auto`` loses at most N steps of a long fine-tune.
        keep_checkpoints: how many recent checkpoints to keep (0 = all).
        test_views: multi-view testing.
    """

    num_frames_per_clip: int = 16
    frame_stride: int = 1
    augment: VideoAugmentation | None = field(
        default_factory=lambda: VideoAugmentation(
            crop_scale=(0.5, 1.0), color_jitter_prob=0.0, grayscale_prob=0.0
        )
    )
    loader: LoaderConfig = field(default_factory=LoaderConfig)
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(name="sgd", lr=1e-3, weight_decay=5e-4))
    max_steps: int | None = None
    epochs: int | None = 150
    backbone_lr_scale: float = 1.0
    head_dropout: float = 0.0
    label_smoothing: float = 0.0
    amp: AmpMode = "auto"
    grad_accum_steps: int = 1
    clip_grad_norm: float | None = None
    log_every_steps: int = 25
    progress_bar: bool = True
    save_checkpoint: bool = True
    checkpoint_every_steps: int = 500
    keep_checkpoints: int = 3
    test_views: ClipViews = field(default_factory=ClipViews)

    def __post_init__(self) -> None:
        if self.max_steps is None and self.epochs is None:
            raise ValueError("set finetune.max_steps or finetune.epochs (how long to train)")
        for key in (
            "max_steps",
            "epochs",
            "grad_accum_steps",
            "log_every_steps",
            "num_frames_per_clip",
            "frame_stride",
            "checkpoint_every_steps",
        ):
            value = getattr(self, key)
            if value is not None and value < 1:
                raise ValueError(f"finetune.{key} must be >= 1, got {value}")
        if self.keep_checkpoints < 0:
            raise ValueError(f"finetune.keep_checkpoints must be >= 0 (0 keeps all), got "
                             f"{self.keep_checkpoints}")
        if self.backbone_lr_scale < 0:
            raise ValueError(
                f"finetune.backbone_lr_scale must be >= 0 (0 freezes the encoder), got "
                f"{self.backbone_lr_scale}"
            )
        if not 0 <= self.head_dropout < 1 or not 0 <= self.label_smoothing < 1:
            raise ValueError("finetune.head_dropout and finetune.label_smoothing must be in [0, 1)")


@dataclass(frozen=True)
class ExtractionConfig:
    """How frozen features are computed and cached.

    Args:
        batch_size: videos per batch (each brings ``N·M`` clips to the encoder).
        num_workers: decoding processes.
        backend: decoding backend (``auto``, ``torchcodec``, ``decord``, ``pyav``).
        amp: autocast for the encoder (``auto``: bf16/fp16 on a GPU, off on the CPU).
        feature_dtype: storage type of the features (``float16`` halves memory and cache size; Kinetics ×
            30 views × 2048-d needs it).
        cache: reuse features computed before for the same weights, data, views and pooling.
        cache_dir: where cached features live (``null``: ``$XDG_CACHE_HOME/temporal_ssl/features``).
        progress_bar: show a progress bar.
    """

    batch_size: int = 8
    num_workers: int = 2
    backend: str = "auto"
    amp: AmpMode = "auto"
    feature_dtype: Literal["float32", "float16"] = "float32"
    cache: bool = True
    cache_dir: str | None = None
    progress_bar: bool = True

    def __post_init__(self) -> None:
        if self.batch_size < 1 or self.num_workers < 0:
            raise ValueError(
                f"extraction.batch_size must be >= 1 and num_workers >= 0, got {self.batch_size} "
                f"and {self.num_workers}"
            )


@dataclass(frozen=True)
class EvalModelConfig:
    """The encoder to evaluate when no checkpoint names it (``--checkpoint random``).

    Args:
        encoder: a registered encoder; ``null`` = the checkpoint's (required for ``--checkpoint random``, and
            for checkpoints that are plain state dicts).
        encoder_options: its options (``null`` encoder: the checkpoint's options).
    """

    encoder: str | None = None
    encoder_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalConfig:
    """A whole evaluation run (see the module docstring).

    Args:
        protocols: the protocols to run, in order.
        baselines: also evaluate a randomly initialised encoder (``random_init``) and an encoder trained with
            labels from scratch by the ``finetune`` protocol (``supervised_scratch``) on the same data.
        data: the labeled corpus.
        train_split, test_split: the two parts of it (Kinetics and SSv2: ``train`` / ``val``).
        use_checkpoint_corpus: with ``data.format: synthetic``, evaluate on the labeled part of the corpus the
            checkpoint was pretrained on (its ``data.root`` and generator options), so nothing is regenerated.
        model: the encoder when the checkpoint does not say (``--checkpoint random``).
        linear_probe, finetune, knn, retrieval: the protocols' settings.
        extraction: feature extraction and caching.
        seed: seeds random initialisation, probe splits and fine-tuning.
        device: ``auto`` (the local GPU if any), ``cpu`` or ``cuda``.
        output_dir: where the report goes (``null``: ``runs/eval/<checkpoint run or "random">``).
    """

    protocols: tuple[Protocol, ...] = ("linear_probe",)
    baselines: tuple[Baseline, ...] = ()
    data: DataConfig = field(default_factory=DataConfig)
    train_split: str = "train"
    test_split: str = "test"
    use_checkpoint_corpus: bool = True
    model: EvalModelConfig = field(default_factory=EvalModelConfig)
    linear_probe: LinearProbeConfig = field(default_factory=LinearProbeConfig)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    knn: KnnConfig = field(default_factory=KnnConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    extraction: ExtractionConfig = field(default_factory=ExtractionConfig)
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    output_dir: str | None = None

    def __post_init__(self) -> None:
        if not self.protocols:
            raise ValueError(f"protocols must name at least one of {', '.join(PROTOCOLS)}")
        for name in ("protocols", "baselines"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice: {list(values)}")
        if self.train_split == self.test_split:
            raise ValueError(
                f"train_split and test_split are both '{self.train_split}'; the probe would be "
                "tested on its training videos"
            )


def load_eval_config(
    path: str | Path | None = None,
    overrides: Sequence[str] = (),
    *,
    data_path: str | Path | None = None,
    base: Mapping[str, Any] | None = None,
) -> EvalConfig:
    """Read ``path`` (with its includes), apply ``key=value`` overrides and validate every section.

    Args:
        path: a YAML file (``configs/eval/*.yaml``), or ``None`` to start from ``base`` alone.
        overrides: ``dotted.key=value`` strings (YAML values), applied last.
        data_path: a ``configs/data/*.yaml`` file whose ``data`` section replaces the config's.
        base: a mapping merged beneath the file.
    """
    return load_config(EvalConfig, path, overrides, data_path=data_path, base=base)
