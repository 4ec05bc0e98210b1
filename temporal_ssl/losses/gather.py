"""Moving rows between ``torch.distributed`` ranks; without an initialised process group, identities.

Two gathering flavours: :func:`all_gather_rows` for values that need no gradient (queue keys, ids; ranks may
hold different row counts) and :func:`all_gather_with_grad` for embeddings whose gradient must flow back to
the rank that made them (in-batch negatives over the global batch, as SimCLR and CVRL train; the backward pass
sums the gradients every rank computed for a slice, which with DDP's gradient averaging gives the gradient of
the global-batch loss). And the batch shuffle of MoCo's shuffled BatchNorm: :func:`shuffle_across_ranks`
deals the global batch out to the ranks in a random order, :func:`unshuffle_across_ranks` brings every row
back to the rank and place it came from.
"""

from __future__ import annotations

import torch
import torch.distributed as dist


def is_distributed() -> bool:
    """Whether a process group with more than one rank is initialised."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


@torch.no_grad()
def all_gather_rows(x: torch.Tensor) -> torch.Tensor:
    """Rows of ``x`` from every rank, concatenated in rank order (``x`` itself without a process group).

    Ranks may hold different numbers of rows; no gradient flows back.
    """
    if not is_distributed():
        return x
    world = dist.get_world_size()
    count = torch.tensor([x.shape[0]], device=x.device)
    counts = [torch.zeros_like(count) for _ in range(world)]
    dist.all_gather(counts, count)
    largest = int(max(c.item() for c in counts))
    padded = torch.zeros((largest, *x.shape[1:]), dtype=x.dtype, device=x.device)
    padded[: x.shape[0]] = x
    gathered = [torch.zeros_like(padded) for _ in range(world)]
    dist.all_gather(gathered, padded)
    return torch.cat([g[: int(c.item())] for g, c in zip(gathered, counts, strict=True)])


class _AllGatherWithGrad(torch.autograd.Function):
    """Forward: every rank's rows, concatenated. Backward: all ranks' gradients summed, this rank's rows."""

    @staticmethod
    def forward(ctx: torch.autograd.function.FunctionCtx, x: torch.Tensor) -> torch.Tensor:
        parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
        dist.all_gather(parts, x.contiguous())
        ctx.rows, ctx.rank = x.shape[0], dist.get_rank()  # type: ignore[attr-defined]
        return torch.cat(parts)

    @staticmethod
    def backward(ctx: torch.autograd.function.FunctionCtx, grad: torch.Tensor) -> torch.Tensor:
        total = grad.contiguous().clone()
        dist.all_reduce(total, op=dist.ReduceOp.SUM)
        rows, rank = ctx.rows, ctx.rank  # type: ignore[attr-defined]
        return total[rank * rows:(rank + 1) * rows]


def _check_same_rows(x: torch.Tensor, what: str) -> None:
    """Every rank holds as many rows as this one (a clear error instead of a hang or a wrong slice)."""
    sizes = all_gather_rows(torch.tensor([x.shape[0]], device=x.device))
    if int(sizes.min()) != int(sizes.max()):
        raise ValueError(
            f"{what} across ranks needs the same batch size on every rank, got {sizes.tolist()}; use "
            "drop_last=True in the loader"
        )


def all_gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Rows of ``x`` from every rank in rank order, differentiable; every rank must hold the same shape."""
    if not is_distributed():
        return x
    _check_same_rows(x, "gathering embeddings")
    gathered: torch.Tensor = _AllGatherWithGrad.apply(x)
    return gathered


@torch.no_grad()
def shuffle_across_ranks(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """This rank's share of the global batch after a random permutation shared by all ranks.

    The global batch is every rank's rows in rank order; rank 0 draws the permutation ``order`` and broadcasts
    it, and rank ``r`` takes the rows ``order[r·n:(r+1)·n]``. Without a process group, ``x`` and the identity.

    Returns:
        ``(rows, order)``: ``rows`` ``[n, ...]`` for this rank, ``order`` int64 ``[world·n]`` for
        :func:`unshuffle_across_ranks`.
    """
    if not is_distributed():
        return x, torch.arange(x.shape[0], device=x.device)
    _check_same_rows(x, "shuffling the batch")
    everything = all_gather_rows(x)
    order = torch.randperm(everything.shape[0], device=x.device)
    dist.broadcast(order, src=0)
    rows, rank = x.shape[0], dist.get_rank()
    return everything[order[rank * rows:(rank + 1) * rows]], order


@torch.no_grad()
def unshuffle_across_ranks(y: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """Undo :func:`shuffle_across_ranks`: the results for this rank's original rows, in their original order.

    Args:
        y: ``[n, ...]`` computed on the rows :func:`shuffle_across_ranks` gave this rank.
        order: the permutation it returned.
    """
    if not is_distributed():
        return y
    shuffled = all_gather_rows(y)  # row j holds the result for global row order[j]
    restored = torch.empty_like(shuffled)
    restored[order] = shuffled
    rows, rank = y.shape[0], dist.get_rank()
    return restored[rank * rows:(rank + 1) * rows]
