"""The linear probe: separable features reach 100 %, standardisation is fitted on train only and matters,
held-out videos for the weight-decay choice never share a group with the fitted ones, and k-fold
cross-validation holds every video out once."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from temporal_ssl.eval.config import LinearProbeConfig
from temporal_ssl.eval.features import FeatureSet
from temporal_ssl.eval.linear_probe import (
    choose_weight_decay,
    fit_scaler,
    group_folds,
    holdout_split,
    run_linear_probe,
    video_groups,
)


def blobs(
    num_videos: int,
    num_views: int,
    num_classes: int,
    dim: int,
    *,
    seed: int,
    spread: float = 0.1,
    start: int = 0,
) -> FeatureSet:
    """Per-view features around one well-separated centre per class (centre c = 3·e_c)."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(num_videos) % num_classes
    centres = 3.0 * torch.eye(num_classes, dim)
    features = centres[labels][:, None] + spread * torch.randn(
        num_videos, num_views, dim, generator=generator
    )
    paths = tuple(f"/v/video_{start + i}.mp4" for i in range(num_videos))
    return FeatureSet(features, labels, paths, num_views, 1)


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_separable_features_are_classified_perfectly(solver: str) -> None:
    train, test = blobs(40, 3, 4, 8, seed=0), blobs(20, 3, 4, 8, seed=1, start=100)
    config = LinearProbeConfig(solver=solver, epochs=30, batch_size=16, weight_decay_grid=(1e-3, 1e-1))
    result = run_linear_probe(train, test, num_classes=4, config=config)
    assert result.metrics.video_topk[1] == 1.0
    assert result.metrics.clip_topk[1] == 1.0
    assert result.test_logits.shape == (20, 3, 4)
    assert set(result.validation_accuracy) == {1e-3, 1e-1}


def test_scaler_is_fitted_on_train_and_applied_unchanged_to_test() -> None:
    train = torch.tensor([[1.0, 100.0, 5.0], [3.0, 300.0, 5.0], [5.0, 200.0, 5.0]])
    scaler = fit_scaler(train)
    scaled = scaler(train)
    assert torch.allclose(scaled[:, :2].mean(dim=0), torch.zeros(2), atol=1e-6)
    assert torch.allclose(scaled[:, :2].std(dim=0, unbiased=False), torch.ones(2), atol=1e-6)
    assert torch.equal(scaled[:, 2], torch.zeros(3))  # a constant feature stays finite (std treated as 1)
    test = torch.tensor([[7.0, 0.0, 6.0]])
    mean, std = np.array([3.0, 200.0, 5.0]), np.array([np.sqrt(8 / 3), np.sqrt(20000 / 3), 1.0])
    assert scaler(test)[0].tolist() == pytest.approx(((np.array([7.0, 0.0, 6.0]) - mean) / std).tolist())


def test_standardisation_rescues_a_tiny_informative_feature_among_huge_noise() -> None:
    # Feature 0 carries the class at a scale of 1e-3; features 1-4 are pure noise at a scale of 1e3. With a
    # fixed weight decay the unscaled probe cannot afford the huge weight feature 0 needs.
    generator = torch.Generator().manual_seed(0)

    def make(num: int, start: int) -> FeatureSet:
        labels = torch.arange(num) % 2
        informative = (2.0 * labels - 1.0)[:, None, None] * 1e-3 + 1e-5 * torch.randn(
            num, 2, 1, generator=generator
        )
        noise = 1e3 * torch.randn(num, 2, 4, generator=generator)
        paths = tuple(f"/v/{start + i}.mp4" for i in range(num))
        return FeatureSet(torch.cat([informative, noise], dim=2), labels, paths, 2, 1)

    train, test = make(60, 0), make(40, 1000)
    standardised = run_linear_probe(
        train, test, num_classes=2, config=LinearProbeConfig(standardize=True, weight_decay=1e-2)
    )
    raw = run_linear_probe(
        train, test, num_classes=2, config=LinearProbeConfig(standardize=False, weight_decay=1e-2)
    )
    assert standardised.metrics.video_topk[1] == 1.0
    assert raw.metrics.video_topk[1] < 0.8


def test_holdout_keeps_ucf_groups_whole_and_every_class_in_the_fit() -> None:
    paths = [f"/d/C{c}/v_C{c}_g{g:02d}_c{k:02d}.avi" for c in range(3) for g in range(5) for k in range(4)]
    labels = torch.tensor([c for c in range(3) for _ in range(20)])
    groups = video_groups(paths)
    assert groups[:5] == ["C0_g00"] * 4 + ["C0_g01"]
    fit, held = holdout_split(labels, 0.2, seed=3, groups=groups)
    assert sorted(fit.tolist() + held.tolist()) == list(range(60))
    assert not {groups[i] for i in fit} & {groups[i] for i in held}
    for c in range(3):
        assert int((labels[held] == c).sum()) == 4  # one group of 4 = 20 % of the class
        assert int((labels[fit] == c).sum()) == 16


def test_videos_without_groups_are_held_out_one_by_one() -> None:
    labels = torch.tensor([0] * 10 + [1] * 10)
    fit, held = holdout_split(labels, 0.3, seed=0, groups=video_groups([f"/x/{i}.mp4" for i in range(20)]))
    assert len(held) == 6 and len(fit) == 14


def test_folds_hold_every_video_out_once_with_groups_whole() -> None:
    paths = [f"/d/C{c}/v_C{c}_g{g:02d}_c{k:02d}.avi" for c in range(3) for g in range(5) for k in range(4)]
    paths += [f"/d/C3/v_C3_g00_c{k:02d}.avi" for k in range(4)]  # a class with a single group
    labels = torch.tensor([c for c in range(3) for _ in range(20)] + [3] * 4)
    groups = video_groups(paths)
    folds = group_folds(labels, 5, seed=1, groups=groups)
    assert len(folds) == 5
    held = np.concatenate([h for _, h in folds])
    assert sorted(held.tolist()) == list(range(60))  # every video of the split classes once; class 3 never
    for fit, held_out in folds:
        assert sorted(fit.tolist() + held_out.tolist()) == list(range(64))
        assert not {groups[i] for i in fit} & {groups[i] for i in held_out}
        for c in range(3):
            assert int((labels[held_out] == c).sum()) == 4  # one whole group of each class per fold


def test_cross_validated_choice_scores_every_training_video() -> None:
    # Noisy blobs: an accuracy strictly between 0 and 1 that is a multiple of 1/61 (61 is prime) was scored
    # on all 61 training videos.
    train = blobs(61, 2, 3, 6, seed=2, spread=2.0)
    one = choose_weight_decay(train, num_classes=3, config=LinearProbeConfig(weight_decay_grid=(1e-2, 1.0)))
    five = choose_weight_decay(
        train, num_classes=3, config=LinearProbeConfig(weight_decay_grid=(1e-2, 1.0), validation_folds=5)
    )
    assert set(five) == {1e-2, 1.0}
    for accuracy in five.values():
        assert 0 < accuracy < 1
        assert accuracy * 61 == pytest.approx(round(accuracy * 61))
    assert all(a * 12 == pytest.approx(round(a * 12)) for a in one.values())  # the single hold-out: 12 videos


def test_folds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="validation_folds"):
        LinearProbeConfig(validation_folds=0)
