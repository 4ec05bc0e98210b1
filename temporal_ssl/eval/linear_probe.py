"""Linear probe on frozen features: standardise, fit a multinomial logistic regression, test every view.

The classifier minimises ``mean cross-entropy + weight_decay/2 · ‖W‖²`` (bias not penalised) over the training
samples (each training view, or each video's mean feature), with full-batch L-BFGS (strong Wolfe line search;
the problem is convex, so a few hundred iterations suffice) or mini-batch SGD with a cosine schedule (for
sample counts whose full batch does not fit in memory). When the weight decay is not fixed, it is chosen on a
held-out part of the training videos, or by k-fold cross-validation over them (stratified by class; whole
UCF101-style groups, so no near-duplicate is trained on), then the classifier is refit on all training videos.
Standardisation statistics come from training samples only.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from temporal_ssl.eval.config import LinearProbeConfig
from temporal_ssl.eval.features import FeatureSet
from temporal_ssl.eval.metrics import ClassificationMetrics, classification_metrics, video_probabilities

logger = logging.getLogger(__name__)

_UCF_GROUP = re.compile(r"^v_(.+_g\d+)_c\d+$")


@dataclass(frozen=True)
class FeatureScaler:
    """The probe's input transform, fitted on training samples: optional L2 norm, then ``(x - mean) / std``.

    Args:
        mean, std: float ``[F]`` (``None`` = no standardisation); a constant feature gets ``std = 1``.
        l2_normalize: divide each vector by its L2 norm first.
    """

    mean: torch.Tensor | None
    std: torch.Tensor | None
    l2_normalize: bool = False

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """Apply to float ``[..., F]``."""
        out = features.float()
        if self.l2_normalize:
            out = F.normalize(out, dim=-1)
        if self.mean is not None and self.std is not None:
            out = (out - self.mean) / self.std
        return out


def fit_scaler(
    train_features: torch.Tensor, *, standardize: bool = True, l2_normalize: bool = False
) -> FeatureScaler:
    """The scaler of ``train_features`` ``[N, F]``: after it, every column has mean 0 and std 1 on them."""
    if not standardize:
        return FeatureScaler(None, None, l2_normalize)
    x = F.normalize(train_features.float(), dim=-1) if l2_normalize else train_features.float()
    mean = x.mean(dim=0)
    std = x.std(dim=0, unbiased=False)
    # A constant feature (std zero up to rounding of its own magnitude) is only centred, never blown up.
    std = torch.where(std > 1e-6 * mean.abs() + 1e-30, std, torch.ones_like(std))
    return FeatureScaler(mean, std, l2_normalize)


@dataclass
class LinearClassifier:
    """``logits = x @ weight.T + bias`` on scaled features."""

    weight: torch.Tensor
    bias: torch.Tensor

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """float ``[..., F]`` → logits ``[..., C]``."""
        return features @ self.weight.T + self.bias


def _objective(
    x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, weight_decay: float
) -> torch.Tensor:
    return F.cross_entropy(x @ weight.T + bias, y) + 0.5 * weight_decay * weight.pow(2).sum()


def fit_linear_classifier(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    num_classes: int,
    weight_decay: float,
    config: LinearProbeConfig,
    seed: int = 0,
    init: LinearClassifier | None = None,
) -> LinearClassifier:
    """Fit a multinomial logistic regression on float ``x`` ``[N, F]`` and int64 ``y`` ``[N]``.

    Args:
        num_classes: ``C``.
        weight_decay: the L2 penalty.
        config: the solver and its settings.
        seed: the SGD solver's shuffling.
        init: a starting point (warm start along the weight-decay grid).
    """
    weight = (
        init.weight.clone() if init is not None else torch.zeros(num_classes, x.shape[1])
    ).requires_grad_()
    bias = (init.bias.clone() if init is not None else torch.zeros(num_classes)).requires_grad_()
    if config.solver == "lbfgs":
        optimizer = torch.optim.LBFGS(
            [weight, bias],
            lr=1.0,
            max_iter=config.max_iterations,
            history_size=20,
            tolerance_grad=1e-6,
            tolerance_change=1e-9,
            line_search_fn="strong_wolfe",
        )

        def closure() -> torch.Tensor:
            optimizer.zero_grad()
            loss = _objective(x, y, weight, bias, weight_decay)
            loss.backward()
            return loss

        optimizer.step(closure)
    else:
        _fit_sgd(x, y, weight, bias, weight_decay=weight_decay, config=config, seed=seed)
    return LinearClassifier(weight.detach(), bias.detach())


def _fit_sgd(
    x: torch.Tensor,
    y: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor,
    *,
    weight_decay: float,
    config: LinearProbeConfig,
    seed: int,
) -> None:
    """Mini-batch SGD with momentum, linear warm-up and cosine decay (per step)."""
    optimizer = torch.optim.SGD([weight, bias], lr=config.lr, momentum=config.momentum)
    generator = torch.Generator().manual_seed(seed)
    batches_per_epoch = math.ceil(x.shape[0] / config.batch_size)
    total = config.epochs * batches_per_epoch
    warmup = config.warmup_epochs * batches_per_epoch
    step = 0
    for _ in range(config.epochs):
        order = torch.randperm(x.shape[0], generator=generator)
        for start in range(0, x.shape[0], config.batch_size):
            if step < warmup:
                lr = config.lr * (step + 1) / warmup
            else:
                lr = 0.5 * config.lr * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))
            for group in optimizer.param_groups:
                group["lr"] = lr
            index = order[start : start + config.batch_size]
            optimizer.zero_grad()
            _objective(x[index], y[index], weight, bias, weight_decay).backward()
            optimizer.step()
            step += 1


def video_groups(paths: Sequence[str]) -> list[str]:
    """The group of each video: UCF101-style names ``v_<Class>_g<NN>_c<NN>`` share the group ``<Class>_g<NN>``
    (clips cut from one long video, or one look of the synthetic corpus); other videos are their own group."""
    groups = []
    for path in paths:
        match = _UCF_GROUP.search(Path(path).stem)
        groups.append(match.group(1) if match else path)
    return groups


def holdout_split(
    labels: torch.Tensor, fraction: float, *, seed: int, groups: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Video positions ``(fit, held_out)``: about ``fraction`` of each class's videos held out, whole groups
    at a time (clips of one group are near-duplicates: splitting them would reward memorised appearance,
    which is why UCF101's official splits keep groups apart). A class with one group keeps it for fitting.
    """
    rng = np.random.default_rng(seed)
    held_mask = np.zeros(labels.shape[0], dtype=bool)
    for members, group_of, names in _splittable_classes(labels, groups):
        target = max(1, round(fraction * members.size))
        taken = 0
        for name in rng.permutation(names)[:-1]:  # never hold out every group of a class
            if taken >= target:
                break
            in_group = members[group_of == name]
            held_mask[in_group] = True
            taken += in_group.size
    return np.flatnonzero(~held_mask), np.flatnonzero(held_mask)


def _splittable_classes(
    labels: torch.Tensor, groups: Sequence[str] | None
) -> Iterator[tuple[np.ndarray, np.ndarray, list[str]]]:
    """Per class with at least two groups: its video positions, their groups and the sorted group names (a
    class with one group stays whole in the fit, or the fit would lose the class)."""
    labels_np = labels.numpy()
    group_of = np.asarray(groups if groups is not None else [str(i) for i in range(labels_np.shape[0])])
    for label in np.unique(labels_np):
        members = np.flatnonzero(labels_np == label)
        names = sorted(set(group_of[members].tolist()))
        if len(names) >= 2:
            yield members, group_of[members], names


def group_folds(
    labels: torch.Tensor, folds: int, *, seed: int, groups: Sequence[str] | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``folds`` splits ``(fit, held_out)`` holding every video out once: each class's groups are shuffled and
    dealt in turn to the folds, whole, so every fold holds about ``1/folds`` of each class. A class with one
    group is never held out (its fit would lose the class), as in :func:`holdout_split`."""
    rng = np.random.default_rng(seed)
    fold_of = np.full(labels.shape[0], -1)
    for members, group_of, names in _splittable_classes(labels, groups):
        start = int(rng.integers(folds))  # classes with fewer groups than folds do not all fill fold 0
        for turn, name in enumerate(rng.permutation(names)):
            fold_of[members[group_of == name]] = (start + turn) % folds
    return [(np.flatnonzero(fold_of != k), np.flatnonzero(fold_of == k)) for k in range(folds)]


def validation_splits(
    labels: torch.Tensor, config: LinearProbeConfig, *, seed: int, groups: Sequence[str] | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``(fit, held_out)`` splits the weight decay is chosen on: one hold-out, or k folds."""
    if config.validation_folds == 1:
        return [holdout_split(labels, config.validation_fraction, seed=seed, groups=groups)]
    return group_folds(labels, config.validation_folds, seed=seed, groups=groups)


def _samples(
    features: torch.Tensor, labels: torch.Tensor, train_on: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Training samples from ``[V, K, F]`` features: every view, or each video's mean."""
    if train_on == "video_mean":
        return features.float().mean(dim=1), labels
    return features.float().reshape(-1, features.shape[2]), labels.repeat_interleave(features.shape[1])


@dataclass
class LinearProbeResult:
    """A fitted probe and its test scores.

    Args:
        metrics: clip- and video-level accuracy on the test set.
        weight_decay: the penalty used.
        validation_accuracy: held-out video accuracy of every candidate (``{}`` when fixed by the config).
        scaler, classifier: the fitted transform and classifier.
        test_logits: float ``[V, K, C]`` of every test view.
        fit_seconds: time spent choosing and fitting.
    """

    metrics: ClassificationMetrics
    weight_decay: float
    validation_accuracy: dict[float, float]
    scaler: FeatureScaler
    classifier: LinearClassifier
    test_logits: torch.Tensor
    fit_seconds: float
    details: dict[str, object] = field(default_factory=dict)


def choose_weight_decay(
    train: FeatureSet, *, num_classes: int, config: LinearProbeConfig, seed: int = 0
) -> dict[float, float]:
    """Held-out video accuracy of each ``config.weight_decay_grid`` value, each split fit on the rest of
    ``train``; with k folds, the accuracy over every video held out in one of them."""
    splits = validation_splits(train.labels, config, seed=seed, groups=video_groups(train.paths))
    if not any(held.size for _, held in splits):
        logger.warning(
            "linear probe: every class has a single group of near-duplicate videos; holding out "
            "single videos instead, which favours weak regularisation (set linear_probe.weight_decay "
            "to fix it)"
        )
        splits = validation_splits(train.labels, config, seed=seed)
    if not any(held.size for _, held in splits):
        raise ValueError(
            "too few training videos to hold some out for choosing the weight decay; set "
            "linear_probe.weight_decay to a fixed value"
        )
    grid = sorted(config.weight_decay_grid, reverse=True)  # strong to weak: warm starts help
    correct = dict.fromkeys(grid, 0)
    held_total = 0
    for fit_videos, held_videos in splits:
        if held_videos.size == 0:
            continue
        fit_idx, held_idx = torch.from_numpy(fit_videos), torch.from_numpy(held_videos)
        x_fit, y_fit = _samples(train.features[fit_idx], train.labels[fit_idx], config.train_on)
        scaler = fit_scaler(x_fit, standardize=config.standardize, l2_normalize=config.l2_normalize)
        x_fit = scaler(x_fit)
        held_features = scaler(train.features[held_idx])
        held_labels = train.labels[held_idx]
        classifier: LinearClassifier | None = None
        for weight_decay in grid:
            classifier = fit_linear_classifier(
                x_fit,
                y_fit,
                num_classes=num_classes,
                weight_decay=weight_decay,
                config=config,
                seed=seed,
                init=classifier,
            )
            predictions = video_probabilities(classifier(held_features)).argmax(dim=1)
            correct[weight_decay] += int((predictions == held_labels).sum())
        held_total += held_videos.size
    return {weight_decay: correct[weight_decay] / held_total for weight_decay in grid}


def run_linear_probe(
    train: FeatureSet,
    test: FeatureSet,
    *,
    num_classes: int,
    config: LinearProbeConfig,
    class_names: Sequence[str] = (),
    seed: int = 0,
) -> LinearProbeResult:
    """Fit the probe on ``train`` (choosing the weight decay if needed) and score every view of ``test``."""
    started = time.perf_counter()
    if config.weight_decay is None:
        validation = choose_weight_decay(train, num_classes=num_classes, config=config, seed=seed)
        best = max(validation.values())
        weight_decay = max(wd for wd, accuracy in validation.items() if accuracy == best)  # ties: stronger
        logger.info(
            "linear probe: weight decay %g (held-out accuracy %s)",
            weight_decay,
            {f"{k:g}": round(v, 4) for k, v in validation.items()},
        )
    else:
        validation, weight_decay = {}, config.weight_decay
    x, y = _samples(train.features, train.labels, config.train_on)
    scaler = fit_scaler(x, standardize=config.standardize, l2_normalize=config.l2_normalize)
    classifier = fit_linear_classifier(
        scaler(x), y, num_classes=num_classes, weight_decay=weight_decay, config=config, seed=seed
    )
    fit_seconds = time.perf_counter() - started
    test_logits = classifier(scaler(test.features))
    metrics = classification_metrics(
        test_logits, test.labels, num_classes=num_classes, class_names=class_names
    )
    train_accuracy = float((classifier(scaler(x)).argmax(dim=1) == y).float().mean())
    details: dict[str, object] = {
        "train_sample_accuracy": train_accuracy,
        "num_train_samples": int(x.shape[0]),
        "feature_dim": int(x.shape[1]),
    }
    return LinearProbeResult(
        metrics, weight_decay, validation, scaler, classifier, test_logits, fit_seconds, details
    )
