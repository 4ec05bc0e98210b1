"""Triplet loss: semi-hard mining by hand and against a TF-style loop reference, the Wang & Gupta cosine
variant by hand, hard/random mining rules, the hard-mining schedule, and descent."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch

from temporal_ssl.losses import TripletLoss, triplet_loss
from temporal_ssl.losses.triplet import mine_negatives
from temporal_ssl.models import ModelOutput
from temporal_ssl.types import Batch


def _points(*values: float) -> torch.Tensor:
    return torch.tensor(values).reshape(-1, 1)


def test_semi_hard_picks_the_closest_negative_beyond_the_positive() -> None:
    # anchor 0, positive 1 (d = 1); negatives at 0.5 (0.25), 1.5 (2.25), 3 (9) in squared distance.
    embeddings = _points(0.0, 1.0, 0.5, 1.5, 3.0)
    ids = torch.tensor([0, 0, 1, 2, 3])
    d_an = (embeddings[0] - embeddings[:, 0]) ** 2
    chosen, valid = mine_negatives(torch.tensor([1.0]), d_an[None, :], (ids != 0)[None, :], margin=0.2,
                                   mining="semi_hard", num_negatives=1)
    assert chosen.tolist() == [[3]] and valid.all()
    # ... and with no negative beyond the positive, the farthest one.
    chosen, _ = mine_negatives(torch.tensor([10.0]), d_an[None, :], (ids != 0)[None, :], margin=0.2,
                               mining="semi_hard", num_negatives=1)
    assert chosen.tolist() == [[4]]


def test_semi_hard_loss_value_by_hand() -> None:
    embeddings = _points(0.0, 1.0, 0.5, 1.5, 3.0)
    ids = torch.tensor([0, 0, 1, 2, 3])
    loss, _ = triplet_loss(embeddings, ids, margin=2.0, normalize=False)
    # pair (0 -> 1): d_ap 1, semi-hard negative 1.5 (d 2.25): 1 - 2.25 + 2 = 0.75
    # pair (1 -> 0): d_ap 1; negatives at d 0.25, 0.25, 4 -> semi-hard 3.0 (d 4): 1 - 4 + 2 = 0
    assert float(loss) == pytest.approx((0.75 + 0.0) / 2)


def reference_semi_hard(x: np.ndarray, ids: np.ndarray, margin: float) -> float:
    """TF ``triplet_semihard_loss`` semantics with loops (L2-normalised rows, squared Euclidean)."""
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    terms = []
    for a in range(len(x)):
        for p in range(len(x)):
            if a == p or ids[a] != ids[p]:
                continue
            negatives = [d[a, n] for n in range(len(x)) if ids[n] != ids[a]]
            beyond = [v for v in negatives if v > d[a, p]]
            d_an = min(beyond) if beyond else max(negatives)
            terms.append(max(0.0, d[a, p] - d_an + margin))
    return float(np.mean(terms))


def test_semi_hard_matches_the_reference_on_random_embeddings() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 5)).astype(np.float32)
    ids = np.array([0, 0, 0, 1, 1, 2, 2, 3, 3, 3, 4, 5])
    loss, _ = triplet_loss(torch.from_numpy(x), torch.from_numpy(ids), margin=0.2)
    assert float(loss) == pytest.approx(reference_semi_hard(x, ids, 0.2), rel=1e-5)


def test_cosine_symmetric_loss_with_k_negatives_by_hand() -> None:
    angles = np.radians([0.0, 20.0, 30.0, 60.0, 100.0, 170.0])
    x = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    ids = np.array([0, 0, 1, 2, 3, 4])  # one pair (0, 1); four other patches are its negatives
    margin, k = 0.5, 2
    d = 1.0 - x @ x.T
    # hard mining, hard_ratio 1: the k violators (for the anchor 0) closest to it: patches 2 and 3.
    violators = [n for n in range(2, 6) if d[0, 1] - d[0, n] + margin > 0]
    chosen = sorted(violators, key=lambda n: d[0, n])[:k]
    assert chosen == [2, 3]
    total = sum(max(0.0, d[0, 1] - d[0, n] + margin) + max(0.0, d[0, 1] - d[1, n] + margin) for n in chosen)
    loss, _ = triplet_loss(torch.from_numpy(x), torch.from_numpy(ids), distance="cosine", margin=margin,
                           mining="hard", num_negatives=k, symmetric=True)
    assert float(loss) == pytest.approx(total / (k * 1 * 2), rel=1e-5)


def test_hard_mining_fills_from_violators_only() -> None:
    torch.manual_seed(0)
    d_an = torch.tensor([[0.0, 0.0, 0.1, 0.2, 0.3, 0.4, 5.0, 6.0]])
    is_negative = torch.tensor([[False, False, True, True, True, True, True, True]])
    d_ap = torch.tensor([0.5])  # with margin 0.1 the violators are the negatives with d_an < 0.6: columns 2-5
    for _ in range(20):
        chosen, valid = mine_negatives(d_ap, d_an, is_negative, margin=0.1, mining="hard", num_negatives=3,
                                       hard_ratio=0.0)
        assert valid.all() and set(chosen[0].tolist()) <= {2, 3, 4, 5} and len(set(chosen[0].tolist())) == 3
    chosen, _ = mine_negatives(d_ap, d_an, is_negative, margin=0.1, mining="hard", num_negatives=3,
                               hard_ratio=1.0)
    assert sorted(chosen[0].tolist()) == [2, 3, 4]
    # fewer violators than K: all of them, the missing slot marked invalid
    chosen, valid = mine_negatives(d_ap, d_an, is_negative, margin=0.1, mining="hard", num_negatives=6)
    assert sorted(chosen[0][valid[0]].tolist()) == [2, 3, 4, 5] and int(valid.sum()) == 4


def test_random_mining_never_picks_a_positive() -> None:
    torch.manual_seed(0)
    is_negative = torch.tensor([[False, True, False, True, True]])
    seen = set()
    for _ in range(30):
        chosen, valid = mine_negatives(torch.tensor([1.0]), torch.rand(1, 5), is_negative, margin=0.2,
                                       mining="random", num_negatives=1)
        assert valid.all()
        seen.add(int(chosen))
    assert seen == {1, 3, 4}


def test_hard_mining_starts_after_the_warm_up(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(0)
    embeddings = torch.randn(6, 2, 4)
    batch = make_batch([[0, 0]] * 6)
    output = ModelOutput(features=embeddings, embeddings=embeddings)
    loss_fn = TripletLoss(distance="cosine", mining="hard", num_negatives=2, symmetric=True,
                          hard_mining_after_steps=10)
    flat, ids = embeddings.reshape(12, 4), batch.global_instance_ids().reshape(12)
    options = {"distance": "cosine", "margin": 0.5, "mining": "hard", "num_negatives": 2, "symmetric": True}
    hard, _ = triplet_loss(flat, ids, hard_ratio=1.0, **options)
    assert float(loss_fn(output, batch, 10).loss) == pytest.approx(float(hard))
    torch.manual_seed(1)
    warm_up = float(loss_fn(output, batch, 9).loss)
    torch.manual_seed(1)
    random_violators, _ = triplet_loss(flat, ids, hard_ratio=0.0, **options)
    assert warm_up == pytest.approx(float(random_violators))


@pytest.mark.parametrize("options", [
    {},
    {"distance": "cosine", "mining": "hard", "num_negatives": 4, "symmetric": True},
    {"mining": "random", "num_negatives": 2},
])
def test_gradient_steps_lower_the_loss(make_batch: Callable[..., Batch], options: dict) -> None:
    torch.manual_seed(0)
    batch = make_batch([[0, 0, 1]] * 6)  # anchor, positive and a same-sample negative (time-contrastive)
    embeddings = torch.nn.Parameter(torch.randn(6, 3, 8))
    loss_fn = TripletLoss(**options)
    optimizer = torch.optim.SGD([embeddings], lr=0.5)

    def evaluate() -> float:
        torch.manual_seed(123)
        return float(loss_fn(ModelOutput(features=embeddings, embeddings=embeddings), batch, 0).loss.detach())

    first = evaluate()
    for step in range(30):
        loss = loss_fn(ModelOutput(features=embeddings, embeddings=embeddings), batch, step).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert first > 0 and evaluate() < 0.5 * first


def test_defaults_follow_the_papers_and_bad_options_are_refused(make_batch: Callable[..., Batch]) -> None:
    assert TripletLoss().margin == 0.2 and TripletLoss(distance="cosine").margin == 0.5
    with pytest.raises(ValueError, match="mining 'hardest' is not supported"):
        TripletLoss(mining="hardest")  # type: ignore[arg-type]
    embeddings = torch.randn(2, 2, 3)
    with pytest.raises(ValueError, match="found no positive pair"):
        TripletLoss()(ModelOutput(features=embeddings, embeddings=embeddings), make_batch([[0, 1]] * 2), 0)


def test_same_video_negatives_ignore_other_videos_of_the_batch() -> None:
    # video 0: anchor 0.0, positive 1.0, a later frame 3.0; video 1: a frame at 1.5, closer to both.
    embeddings = _points(0.0, 1.0, 3.0, 1.5)
    ids, videos = torch.tensor([0, 0, 1, 2]), torch.tensor([0, 0, 0, 1])
    options = {"margin": 0.2, "mining": "semi_hard", "normalize": False}
    _, any_video = triplet_loss(embeddings, ids, **options)
    _, own_video = triplet_loss(embeddings, ids, videos=videos, **options)
    # semi-hard: anchor 0 takes 1.5 (2.25) from any video but 3.0 (9) from its own; anchor 1 takes 3.0 (4).
    assert any_video["negative_distance"] == pytest.approx((2.25 + 4.0) / 2)
    assert own_video["negative_distance"] == pytest.approx((9.0 + 4.0) / 2)
    with pytest.raises(ValueError, match="negatives 'video' is not supported"):
        TripletLoss(negatives="video")  # type: ignore[arg-type]
