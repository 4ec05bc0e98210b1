"""InfoNCE against a loop reference, analytic values, symmetry, masking, momentum keys and the queue."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from temporal_ssl.errors import ConfigError
from temporal_ssl.losses import InfoNCELoss, info_nce
from temporal_ssl.models import ModelOutput
from temporal_ssl.types import Batch


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def reference_loss(embeddings: np.ndarray, batch: Batch, *, tau: float, keys: np.ndarray | None = None,
                   queue: np.ndarray | None = None, queue_videos: np.ndarray | None = None,
                   symmetric: bool = True, in_batch_negatives: bool = True,
                   exclude_same_video: bool = False) -> float:
    """METHODS.md §5.1 with loops: mean over ordered positive pairs of −log softmax against the negatives."""
    size, num_views = batch.instance_ids.shape
    ids = [(b, int(batch.instance_ids[b, v])) for b in range(size) for v in range(num_views)]
    videos = [int(batch.video_indices[b]) for b in range(size) for _ in range(num_views)]
    q = _unit(embeddings.reshape(size * num_views, -1).astype(np.float64))
    c = _unit((embeddings if keys is None else keys).reshape(size * num_views, -1).astype(np.float64))
    losses = []
    for i in range(size * num_views):
        if not symmetric and i % num_views:
            continue
        scores, negatives, positives = [], [], []
        for j in range(size * num_views):
            s = float(q[i] @ c[j]) / tau
            if j != i and ids[j] == ids[i]:
                positives.append(s)
            elif ids[j] != ids[i] and in_batch_negatives:
                if exclude_same_video and videos[j] == videos[i]:
                    continue
                negatives.append(s)
        if queue is not None:
            for k, key in enumerate(_unit(queue.astype(np.float64))):
                if not (exclude_same_video and queue_videos is not None and queue_videos[k] == videos[i]):
                    negatives.append(float(q[i] @ key) / tau)
        for s in positives:
            scores = [s, *negatives]
            losses.append(-s + math.log(sum(math.exp(x) for x in scores)))
    return float(np.mean(losses))


def _output(embeddings: torch.Tensor, keys: torch.Tensor | None = None) -> ModelOutput:
    return ModelOutput(features=embeddings, embeddings=embeddings, keys=keys)


def test_equal_similarities_give_log_of_the_number_of_candidates() -> None:
    for negatives in (1, 5, 30):
        q = torch.tensor([[1.0, 0.0]])
        candidates = torch.tensor([[1.0, 0.0]]).repeat(negatives + 1, 1)
        positive = torch.zeros(1, negatives + 1, dtype=torch.bool)
        positive[0, 0] = True
        loss, _ = info_nce(q, candidates, positive, ~positive, temperature=0.1)
        assert float(loss) == pytest.approx(math.log(negatives + 1), rel=1e-6)


def test_identical_embeddings_in_a_batch_give_log_2b_minus_1(make_batch: Callable[..., Batch]) -> None:
    batch = make_batch([[0, 0]] * 4)
    out = InfoNCELoss(temperature=0.5)(_output(torch.ones(4, 2, 3)), batch, 0)
    assert float(out.loss) == pytest.approx(math.log(2 * 4 - 1), rel=1e-6)
    assert out.metrics["positives_per_query"] == 1 and out.metrics["negatives_per_query"] == 6


def test_swapping_positive_and_negative_raises_the_loss() -> None:
    q = torch.tensor([[1.0, 0.0]])
    near, far = torch.tensor([0.9, 0.1]), torch.tensor([-0.2, 1.0])
    positive = torch.tensor([[True, False]])
    good, _ = info_nce(q, torch.stack([near, far]), positive, ~positive, 0.1)
    bad, _ = info_nce(q, torch.stack([far, near]), positive, ~positive, 0.1)
    assert float(bad) > float(good) + 1.0


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("exclude_same_video", [False, True])
def test_matches_the_reference_with_several_positives(make_batch: Callable[..., Batch], symmetric: bool,
                                                      exclude_same_video: bool) -> None:
    torch.manual_seed(0)
    # rho = 3 clips per video, plus one sample whose third view is a within-sample negative; samples 0 and 1
    # come from the same video.
    batch = make_batch([[0, 0, 0], [0, 0, 0], [0, 0, 1], [0, 0, 0]], video_indices=[7, 7, 8, 9])
    embeddings = torch.randn(4, 3, 5)
    out = InfoNCELoss(temperature=0.2, symmetric=symmetric, exclude_same_video=exclude_same_video)(
        _output(embeddings), batch, 0)
    expected = reference_loss(embeddings.numpy(), batch, tau=0.2, symmetric=symmetric,
                              exclude_same_video=exclude_same_video)
    assert float(out.loss) == pytest.approx(expected, rel=1e-5)


def test_symmetric_loss_does_not_depend_on_view_order(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(1)
    batch = make_batch([[0, 0]] * 5)
    embeddings = torch.randn(5, 2, 4)
    swapped = embeddings.flip(1)
    loss = InfoNCELoss(temperature=0.1)
    assert float(loss(_output(embeddings), batch, 0).loss) == pytest.approx(
        float(loss(_output(swapped), batch, 0).loss), rel=1e-6)
    one_sided = InfoNCELoss(temperature=0.1, symmetric=False)
    assert float(one_sided(_output(embeddings), batch, 0).loss) != pytest.approx(
        float(one_sided(_output(swapped), batch, 0).loss), rel=1e-3)


def test_momentum_keys_are_the_candidates(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(2)
    batch = make_batch([[0, 0]] * 3)
    embeddings, keys = torch.randn(3, 2, 4), torch.randn(3, 2, 4)
    out = InfoNCELoss(temperature=0.3)(_output(embeddings, keys), batch, 0)
    expected = reference_loss(embeddings.numpy(), batch, tau=0.3, keys=keys.numpy())
    assert float(out.loss) == pytest.approx(expected, rel=1e-5)


def test_moco_queue_gives_k_plus_one_logits(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(3)
    batch = make_batch([[0, 0]] * 3)
    loss = InfoNCELoss(temperature=0.2, in_batch_negatives=False, queue_size=5)
    loss(_output(torch.randn(3, 2, 4), torch.randn(3, 2, 4)), batch, 0)  # first step fills part of the queue
    queued = loss.queue.keys.clone()
    embeddings, keys = torch.randn(3, 2, 4), torch.randn(3, 2, 4)
    out = loss(_output(embeddings, keys), batch, 1)
    assert out.metrics["positives_per_query"] + out.metrics["negatives_per_query"] == 5 + 1
    expected = reference_loss(embeddings.numpy(), batch, tau=0.2, keys=keys.numpy(), queue=queued.numpy(),
                              in_batch_negatives=False)
    assert float(out.loss) == pytest.approx(expected, rel=1e-5)


def test_queue_entries_from_the_same_video_can_be_masked(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(4)
    loss = InfoNCELoss(temperature=0.2, queue_size=4, exclude_same_video=True)
    loss(_output(torch.randn(2, 2, 3)), make_batch([[0, 0]] * 2, video_indices=[5, 6]), 0)
    queued, queued_videos = loss.queue.keys.clone(), loss.queue.video_ids.clone()
    assert sorted(queued_videos.tolist()) == [5, 5, 6, 6]
    batch = make_batch([[0, 0]] * 2, video_indices=[5, 8])
    embeddings = torch.randn(2, 2, 3)
    out = loss(_output(embeddings), batch, 1)
    expected = reference_loss(embeddings.numpy(), batch, tau=0.2, queue=queued.numpy(),
                              queue_videos=queued_videos.numpy(), exclude_same_video=True)
    assert float(out.loss) == pytest.approx(expected, rel=1e-5)


def test_queue_fills_only_in_training_mode(make_batch: Callable[..., Batch]) -> None:
    loss = InfoNCELoss(queue_size=6).eval()
    loss(_output(torch.randn(2, 2, 3)), make_batch([[0, 0]] * 2), 0)
    assert int(loss.queue.pointer) == 0 and (loss.queue.video_ids == -1).all()
    loss.train()(_output(torch.randn(2, 2, 3)), make_batch([[0, 0]] * 2), 0)
    assert int(loss.queue.pointer) == 4


def test_top1_counts_queries_whose_nearest_candidate_is_a_positive(make_batch: Callable[..., Batch]) -> None:
    batch = make_batch([[0, 0]] * 2)
    aligned = torch.tensor([[[1.0, 0.0], [1.0, 0.1]], [[0.0, 1.0], [0.1, 1.0]]])
    assert InfoNCELoss()(_output(aligned), batch, 0).metrics["top1"] == 1.0
    crossed = torch.tensor([[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]])
    assert InfoNCELoss()(_output(crossed), batch, 0).metrics["top1"] == 0.0


def test_gradient_steps_lower_the_loss(make_batch: Callable[..., Batch]) -> None:
    torch.manual_seed(5)
    batch = make_batch([[0, 0, 0]] * 6)
    embeddings = torch.nn.Parameter(torch.randn(6, 3, 8))
    loss_fn = InfoNCELoss(temperature=0.2)
    optimizer = torch.optim.SGD([embeddings], lr=0.5)
    first = float(loss_fn(_output(embeddings), batch, 0).loss.detach())
    for step in range(20):
        loss = loss_fn(_output(embeddings), batch, step).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert float(loss_fn(_output(embeddings), batch, 20).loss.detach()) < 0.5 * first


def test_bad_configurations_and_batches_are_refused(make_batch: Callable[..., Batch]) -> None:
    with pytest.raises(ValueError, match="temperature must be > 1e-4"):
        InfoNCELoss(temperature=0.0)
    with pytest.raises(ValueError, match="needs a queue"):
        InfoNCELoss(in_batch_negatives=False)
    with pytest.raises(ValueError, match="found no positive pair"):
        InfoNCELoss()(_output(torch.randn(2, 2, 3)), make_batch([[0, 1], [0, 1]]), 0)


def test_queue_only_negatives_need_momentum_keys(make_batch: Callable[..., Batch]) -> None:
    """MoCo without a momentum encoder would fill the queue with online embeddings: refused, naming the
    fix."""
    loss = InfoNCELoss(in_batch_negatives=False, queue_size=4)
    with pytest.raises(ConfigError, match="in_batch_negatives=false' needs ModelOutput.keys.*momentum"):
        loss(_output(torch.randn(2, 2, 3)), make_batch([[0, 0], [0, 0]]), 0)
