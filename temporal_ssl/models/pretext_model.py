"""``PretextModel``: encoder + head (+ momentum branch, + predictor), the one model every pretext trains.

The training step protocol the engine follows::

    out = model(batch.views)                  # ModelOutput: features, logits | embeddings, keys, predictions
    loss_out = loss_fn(out, batch, step)      # LossOutput; loss_fn is an nn.Module (it may hold a MoCo queue)
    loss_out.loss.backward(); optimizer.step(); optimizer.zero_grad()
    model.update_momentum(step, total_steps)  # EMA of the momentum branch; a no-op without one

Under DDP call ``ddp_model.module.update_momentum(...)``. The momentum branch's parameters have
``requires_grad=False``; build the optimiser from ``model.trainable_parameters()``. ``model.encoder`` is the
backbone evaluation protocols take.

Variants by options: plain (SimCLR/CVRL/order pretexts: no momentum, no predictor), MoCo (``momentum`` set:
``keys`` from an EMA copy of encoder and head), BYOL (``momentum`` and ``predictor``: ``predictions`` from the
online branch, ``keys`` from the EMA branch), SimSiam (``predictor`` without ``momentum``: ``keys`` are the
online embeddings, detached).

Shuffled BatchNorm (MoCo, He et al. 2020): in training mode under ``torch.distributed``, a MoCo model
(momentum branch, no predictor) whose momentum branch normalises with per-rank BatchNorm encodes its key clips
shuffled across ranks — each rank gets a random share of the global batch of clips — and puts every key back
on the rank and in the place of its clip. A query and its positive key then never share BatchNorm
statistics, which would otherwise let the network find its positive through the batch statistics instead of
the content. It is off (and not needed) on one process, in eval mode, for BYOL, and when the momentum branch
uses ``SyncBatchNorm`` (``train.sync_batchnorm`` on CUDA: statistics are global, as in ρBYOL and ρSimCLR).
"""

from __future__ import annotations

import torch
from einops import rearrange
from torch import nn

from temporal_ssl.losses.gather import is_distributed, shuffle_across_ranks, unshuffle_across_ranks
from temporal_ssl.models.momentum import MomentumSchedule, momentum_at, momentum_copy, update_momentum
from temporal_ssl.models.output import ModelOutput


class PretextModel(nn.Module):
    """Encode every view of a batch in one encoder call, apply the head, and the momentum branch if any.

    Args:
        encoder: a module keeping the encoder contract (``models.encoders.contract``).
        head: a head from ``models.heads`` (``produces`` is ``"logits"`` or ``"embeddings"``).
        momentum: base EMA momentum ``m₀`` of a momentum copy of encoder and head (MoCo 0.999, ρMoCo 0.994,
            ρBYOL 0.996), or ``None`` for no momentum branch.
        momentum_schedule: ``"cosine"`` anneals ``m`` to 1 over the run (BYOL, ρMoCo/ρBYOL), ``"constant"``
            keeps it (MoCo v1/v2).
        predictor: a head mapping embeddings to predictions (``byol_predictor``), or ``None``.
        shuffle_bn: shuffle the key clips across ranks where it matters (see the module docstring); False
            never shuffles.
    """

    def __init__(self, encoder: nn.Module, head: nn.Module, *, momentum: float | None = None,
                 momentum_schedule: MomentumSchedule = "cosine", predictor: nn.Module | None = None,
                 shuffle_bn: bool = True) -> None:
        super().__init__()
        produces = getattr(head, "produces", None)
        if produces not in ("logits", "embeddings"):
            raise ValueError(f"head {type(head).__name__} must declare produces = 'logits' or 'embeddings'")
        if produces == "logits" and (momentum is not None or predictor is not None):
            raise ValueError("a momentum encoder or predictor needs an embedding head (projection_mlp, "
                             f"identity); the head {type(head).__name__} produces logits")
        if momentum is not None:
            momentum_at(0, 1, momentum, momentum_schedule)  # validates the value and the schedule name
        self.encoder = encoder
        self.head = head
        self.head_produces: str = produces
        self.predictor = predictor
        self.momentum = momentum
        self.momentum_schedule: MomentumSchedule = momentum_schedule
        self.momentum_encoder = momentum_copy(encoder) if momentum is not None else None
        self.momentum_head = momentum_copy(head) if momentum is not None else None
        self.current_momentum = momentum
        self.shuffle_bn = shuffle_bn

    def forward(self, views: torch.Tensor) -> ModelOutput:
        """Run the model on a batch of views.

        Args:
            views: float ``[B, V, C, T, H, W]`` (``Batch.views``).

        Returns:
            A :class:`ModelOutput`; ``features`` is ``[B, V, D]``.
        """
        if views.ndim != 6:
            raise ValueError(f"PretextModel expects views [B, V, C, T, H, W], got shape {tuple(views.shape)}")
        batch = views.shape[0]
        clips = rearrange(views, "b v c t h w -> (b v) c t h w")
        features = rearrange(self.encoder(clips), "(b v) d -> b v d", b=batch)
        head_out = self.head(features)
        if self.head_produces == "logits":
            return ModelOutput(features=features, logits=head_out)
        output = ModelOutput(features=features, embeddings=head_out)
        if self.predictor is not None:
            output.predictions = self.predictor(head_out)
        if self.momentum_encoder is not None and self.momentum_head is not None:
            keys = self._momentum_keys(clips, self.momentum_encoder, self.momentum_head)
            output.keys = rearrange(keys, "(b v) e -> b v e", b=batch)
        elif self.predictor is not None:
            output.keys = head_out.detach()
        return output

    @property
    def shuffles_key_batch(self) -> bool:
        """Whether the next forward pass encodes the key clips shuffled across ranks (shuffled BN)."""
        if not (self.shuffle_bn and self.training and self.predictor is None and is_distributed()):
            return False
        branch = [self.momentum_encoder, self.momentum_head]
        per_rank_bn = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)  # SyncBatchNorm is none of these
        return any(isinstance(m, per_rank_bn) for part in branch if part is not None for m in part.modules())

    @torch.no_grad()
    def _momentum_keys(self, clips: torch.Tensor, encoder: nn.Module, head: nn.Module) -> torch.Tensor:
        """``[(B·V), E]`` keys of the momentum ``encoder`` and ``head``, one per clip (the head runs per clip,
        so that a shuffled batch needs no regrouping into samples)."""
        if not self.shuffles_key_batch:
            return head(encoder(clips)[:, None])[:, 0]
        shuffled, order = shuffle_across_ranks(clips)
        return unshuffle_across_ranks(head(encoder(shuffled)[:, None])[:, 0], order)

    def update_momentum(self, step: int, total_steps: int) -> float | None:
        """EMA-update the momentum branch after optimiser step ``step`` of ``total_steps``.

        Returns the momentum used (for logging), or ``None`` when the model has no momentum branch.
        """
        if self.momentum is None or self.momentum_encoder is None or self.momentum_head is None:
            return None
        m = momentum_at(step, total_steps, self.momentum, self.momentum_schedule)
        update_momentum(self.momentum_encoder, self.encoder, m)
        update_momentum(self.momentum_head, self.head, m)
        self.current_momentum = m
        return m

    def trainable_parameters(self) -> list[nn.Parameter]:
        """Parameters the optimiser updates (everything but the momentum branch)."""
        return [p for p in self.parameters() if p.requires_grad]
