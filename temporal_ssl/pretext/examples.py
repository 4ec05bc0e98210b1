"""Turn a plan's decoded views into an :class:`Example`: the step every pretext's ``make_example`` ends with.

Kept in one place so every pretext checks the decoded views against its plan the same way and fills roles,
instance ids and the target from the plan rather than re-deriving them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from temporal_ssl.types import Example, SamplePlan


def stack_views(views: Sequence[torch.Tensor], plan: SamplePlan) -> torch.Tensor:
    """Stack per-view frames into one ``[V, T, C, H, W]`` tensor, checking them against ``plan``.

    Args:
        views: one ``[T, C, H, W]`` tensor per planned view, in plan order.
        plan: the plan the views were decoded for.

    Raises:
        ValueError: when the count, frame counts or frame sizes do not match (a decoding or caller bug; frames
            of cameras with different resolutions need a common decode ``size``).
    """
    if len(views) != len(plan.views):
        raise ValueError(
            f"plan for '{plan.record.path}' has {len(plan.views)} views, got {len(views)} tensors"
        )
    for tensor, view in zip(views, plan.views, strict=True):
        if tensor.ndim != 4 or tensor.shape[0] != len(view.frame_indices):
            raise ValueError(
                f"view '{view.role}' of '{plan.record.path}' must be [{len(view.frame_indices)}, C, H, W], "
                f"got shape {tuple(tensor.shape)}"
            )
    shapes = {tuple(t.shape[1:]) for t in views}
    if len(shapes) != 1:
        raise ValueError(
            f"views of '{plan.record.path}' have different frame sizes {sorted(shapes)}; decode every "
            "camera at one size (pass size=(h, w) to decode_views)"
        )
    return torch.stack(list(views))


def example_from_plan(
    plan: SamplePlan,
    views: torch.Tensor,
    *,
    roles: Sequence[str] | None = None,
    instance_ids: Sequence[int] | None = None,
    augment_groups: Sequence[int] | None = None,
) -> Example:
    """An :class:`Example` holding ``views`` with the plan's target, roles and instance ids.

    Args:
        plan: the sample's plan (target, roles and instances come from it unless given).
        views: ``[V, T, C, H, W]``.
        roles, instance_ids: override the plan's when ``make_example`` changed the view layout (e.g. VCOP's
            joint mode concatenates the planned clips into one view).
        augment_groups: views sharing a group get one augmentation draw; ``None`` gives every view its own.
    """
    roles = tuple(roles) if roles is not None else tuple(v.role for v in plan.views)
    ids = list(instance_ids) if instance_ids is not None else [v.instance for v in plan.views]
    target = -1 if plan.target is None else int(plan.target)
    return Example(
        views=views,
        target=torch.tensor(target, dtype=torch.int64),
        instance_ids=torch.tensor(ids, dtype=torch.int64),
        roles=roles,
        video_index=plan.record.index,
        augment_groups=None if augment_groups is None else tuple(augment_groups),
    )


REVERSED_ROLE = "reversed"


def append_reversed(
    views: torch.Tensor, instance_ids: Sequence[int], sources: Sequence[int]
) -> tuple[torch.Tensor, list[int], list[int]]:
    """``views``, then each ``sources`` view played backwards: hard negatives that only time tells apart.

    Each reversed view is an instance of its own (a negative of every view, its source included) and shares
    its source's augmentation draw, so crops and colours give nothing away. Returns ``[V + S, T, C, H, W]``
    views, their instance ids and their augmentation groups (view ``i`` is group ``i``).
    """
    first_free = max(instance_ids) + 1
    reversed_views = views[list(sources)].flip(1)
    ids = [*instance_ids, *range(first_free, first_free + len(sources))]
    groups = [*range(views.shape[0]), *sources]
    return torch.cat([views, reversed_views]), ids, groups
