"""InfoNCE / NT-Xent over a batch's views: several positives, masking, a MoCo queue and momentum keys.

Oord et al. 2018 (CPC); SimCLR's NT-Xent (Chen et al. 2020) as used for video by CVRL (τ = 0.1) and ρSimCLR;
MoCo keys and queue (He et al. 2020) as in ρMoCo (τ = 0.1, K = 65 536) and CoCLR's InfoNCE baseline
(τ = 0.07).

The formula, exactly. Embeddings are L2-normalised, ``s(i, j) = q_iᵀ c_j / τ``. Every view
``i`` of the batch is a query (only view 0 of each sample when ``symmetric=False``). Candidates ``c`` are the
views of the batch — the momentum ``keys`` when the model produces them, else the embeddings — followed by the
queue. For query ``i``, ``P(i)`` are the candidates with its instance id other than ``i`` itself, ``N(i)`` the
candidates with another id that are not masked out. The loss averages over *every ordered positive pair*
``(i, p)``, ``p ∈ P(i)``:

    ℓ(i, p) = −log( exp s(i,p) / ( exp s(i,p) + Σ_{n ∈ N(i)} exp s(i,n) ) ),   L = mean over all (i, p)

so with ρ clips per video each query has ρ−1 positives, each scored against the negatives alone (other
positives are neither in the numerator nor the denominator); with two views this is NT-Xent, symmetric because
both views are queries. Masking (``exclude_same_video``) drops from ``N(i)`` the candidates cut from the same
video as ``i`` but not its positives (two samples of one video in a batch, or queue entries of it).

MoCo as ρMoCo trains it is ``in_batch_negatives=False`` with a queue: the positives of a query are the
momentum keys of the other clips of its video, the negatives the queue alone (other keys of the batch are
neither).

Under ``torch.distributed`` with ``gather_across_ranks`` (and in-batch negatives), the candidates are the
whole global batch: every rank's views, gathered with their gradient. Each rank's queries are its own; its
loss is weighted by its share of the global positive pairs, so that DDP's gradient averaging yields exactly
the gradient of one process computing the loss on the global batch. Queue-only MoCo gathers nothing (a query's
positives always live on its own rank); the queue itself is shared by all ranks.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from temporal_ssl.losses.gather import all_gather_rows, all_gather_with_grad, is_distributed
from temporal_ssl.losses.pair_masks import flat_instance_ids, flat_video_ids, flatten_views, same_id_mask
from temporal_ssl.losses.queue import MemoryQueue
from temporal_ssl.models.output import ModelOutput
from temporal_ssl.registry import LOSSES
from temporal_ssl.types import Batch, LossOutput


def info_nce(queries: torch.Tensor, candidates: torch.Tensor, positive_mask: torch.Tensor,
             negative_mask: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The multi-positive InfoNCE of the module docstring on explicit masks.

    Args:
        queries: float ``[N, E]``.
        candidates: float ``[M, E]``.
        positive_mask: bool ``[N, M]``, ``P(i)`` per row.
        negative_mask: bool ``[N, M]``, ``N(i)`` per row (disjoint from ``positive_mask``).
        temperature: ``τ > 0``.

    Returns:
        ``(loss, top1)``: the mean over positive pairs, and the fraction of queries with a positive whose most
        similar candidate in ``P(i) ∪ N(i)`` is a positive (no gradient).
    """
    if not bool(positive_mask.any()):
        raise ValueError(
            "InfoNCE found no positive pair in the batch: every view has its own instance id. A contrastive "
            "pretext must give at least two views of a sample the same instance id (ViewPlan.instance)"
        )
    q = F.normalize(queries.float(), dim=1)
    c = F.normalize(candidates.float(), dim=1)
    logits = q @ c.T / temperature
    negatives = logits.masked_fill(~negative_mask, float("-inf")).logsumexp(dim=1, keepdim=True)
    pair_loss = torch.logaddexp(logits, negatives) - logits  # −log softmax of each positive against N(i)
    loss = pair_loss[positive_mask].mean()
    with torch.no_grad():
        has_positive = positive_mask.any(dim=1)
        best = logits.masked_fill(~(positive_mask | negative_mask), float("-inf")).argmax(dim=1)
        hit = positive_mask.gather(1, best[:, None]).squeeze(1)
        top1 = hit[has_positive].float().mean()
    return loss, top1


@LOSSES.register("info_nce")
class InfoNCELoss(nn.Module):
    """InfoNCE of ``ModelOutput.embeddings`` (queries) against keys or embeddings; see the module docstring.

    Metrics: ``loss``, ``top1`` (a positive is the most similar candidate), ``positives_per_query`` and
    ``negatives_per_query`` (so a MoCo query with one positive key and a queue of K has K + 1 logits).

    Args:
        temperature: ``τ`` (CVRL, ρMoCo 0.1; MoCo v1, CoCLR 0.07).
        symmetric: every view is a query (True, SimCLR/CVRL); False: only view 0 of each sample.
        in_batch_negatives: views of other instances in the batch are negatives (SimCLR, MoCo v3). Set
            False for classic MoCo, where the negatives are the queue alone.
        exclude_same_video: mask out candidates from the query's own video that are not its positives.
        gather_across_ranks: under ``torch.distributed``, candidates come from every rank's batch (SimCLR/CVRL
            global-batch negatives; gradients flow back to their rank); every rank needs the same batch size.
            Nothing is gathered without in-batch negatives. The CVRL and ρ-clips pretexts turn it on.
        queue_size: ``K`` > 0 adds a MoCo queue of the last ``K`` keys (``state_dict`` holds it: save the
            loss's state with the model's); 0 = no queue.
    """

    def __init__(self, *, temperature: float = 0.1, symmetric: bool = True, in_batch_negatives: bool = True,
                 exclude_same_video: bool = False, gather_across_ranks: bool = False,
                 queue_size: int = 0) -> None:
        super().__init__()
        if temperature <= 1e-4:
            raise ValueError(f"info_nce temperature must be > 1e-4, got {temperature}; typical values are "
                             "0.07-0.5")
        if queue_size < 0:
            raise ValueError(f"info_nce queue_size must be >= 0, got {queue_size}")
        if not in_batch_negatives and queue_size == 0:
            raise ValueError("info_nce with in_batch_negatives=false needs a queue (queue_size > 0): "
                             "otherwise no query has a negative")
        self.temperature = temperature
        self.symmetric = symmetric
        self.in_batch_negatives = in_batch_negatives
        self.exclude_same_video = exclude_same_video
        self.gather_across_ranks = gather_across_ranks
        self.queue = MemoryQueue(queue_size) if queue_size else None

    def forward(self, output: ModelOutput, batch: Batch, step: int) -> LossOutput:
        """Args: output: needs ``embeddings`` ``[B, V, E]``, uses ``keys`` if set; batch: ids; step: unused.

        In training mode the batch's candidates are enqueued after the loss is computed.
        """
        embeddings = output.require("embeddings", by="info_nce")
        if not self.in_batch_negatives:  # MoCo: the queue must hold momentum keys, not online embeddings
            output.require("keys", by="info_nce with in_batch_negatives=false")
        local = flatten_views(output.keys if output.keys is not None else embeddings)
        ids, videos = flat_instance_ids(batch), flat_video_ids(batch)
        candidates, candidate_ids, candidate_videos, own_column = local, ids, videos, 0
        gather = self.gather_across_ranks and self.in_batch_negatives and is_distributed()
        if gather:
            ids = ids + dist.get_rank() * _id_span(ids)  # ids unique over the global batch
            candidates, candidate_ids = all_gather_with_grad(local), all_gather_rows(ids)
            candidate_videos, own_column = all_gather_rows(videos), dist.get_rank() * ids.numel()
        query_rows = torch.arange(ids.numel(), device=ids.device)
        if not self.symmetric:
            query_rows = query_rows[:: embeddings.shape[1]]
        columns = torch.arange(candidate_ids.numel(), device=ids.device)
        same = same_id_mask(ids[query_rows], candidate_ids)
        positives = same & (columns[None, :] != own_column + query_rows[:, None])
        negatives = ~same if self.in_batch_negatives else torch.zeros_like(same)
        if self.exclude_same_video:
            negatives &= ~same_id_mask(videos[query_rows], candidate_videos)
        if self.queue is not None:
            if not self.queue.is_allocated:
                self.queue.allocate(local.shape[1], local.device)
            queue_negatives = torch.ones(len(query_rows), self.queue.size, dtype=torch.bool,
                                         device=ids.device)
            if self.exclude_same_video:
                queue_negatives &= ~same_id_mask(videos[query_rows], self.queue.video_ids)
            candidates = torch.cat([candidates, self.queue.keys.to(local.dtype)])
            positives = torch.cat([positives, torch.zeros_like(queue_negatives)], dim=1)
            negatives = torch.cat([negatives, queue_negatives], dim=1)
        queries = flatten_views(embeddings)[query_rows]
        loss, top1 = info_nce(queries, candidates, positives, negatives, self.temperature)
        if gather:
            loss = loss * _share_of_global_pairs(positives)
        if self.queue is not None and self.training:
            self.queue.enqueue(local, videos)  # the queue gathers over ranks itself
        return LossOutput(loss, {
            "loss": float(loss.detach()), "top1": float(top1),
            "positives_per_query": float(positives.sum(dim=1).float().mean()),
            "negatives_per_query": float(negatives.sum(dim=1).float().mean()),
        })


def _id_span(ids: torch.Tensor) -> int:
    """One more than the largest instance id on any rank."""
    span = (ids.max() + 1).reshape(1)
    dist.all_reduce(span, op=dist.ReduceOp.MAX)
    return int(span.item())


def _share_of_global_pairs(positives: torch.Tensor) -> float:
    """``world · local pairs / global pairs``: scales a rank's mean loss so that the mean over ranks is the
    mean over every positive pair of the global batch (1 when all ranks hold as many pairs)."""
    counts = positives.sum().reshape(1).float()
    total = counts.clone()
    dist.all_reduce(total)
    return float(counts.item()) * dist.get_world_size() / float(total.item())
