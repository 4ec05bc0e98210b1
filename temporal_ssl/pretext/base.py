"""The contract every pretext task keeps: plan a sample, then turn its decoded views into an example.

A pretext never decodes and never trains. ``plan`` decides which frames of which camera make each view, their
roles and the target; the pipeline decodes all of a sample's frames in one sorted ``get_frames`` call per
camera and hands the views back to ``make_example``. The pretext also names the head and loss it needs, so one
engine trains every pretext.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from temporal_ssl.types import Example, SamplePlan, VideoRecord


@dataclass(frozen=True)
class ComponentSpec:
    """A registry name plus the options to build it with (``HEADS.build(spec.name, spec.options)``)."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Pretext(Protocol):
    """A temporal pretext task (see ``temporal_ssl.types`` for plan, view and instance)."""

    name: str

    @property
    def min_num_frames(self) -> int:
        """Fewest frames a video needs for ``plan`` to work without its short-video policy."""
        ...

    def plan(self, record: VideoRecord, rng: np.random.Generator) -> SamplePlan:
        """Decide the frames, views, roles and target of one sample of ``record``."""
        ...

    def make_example(self, views: Sequence[torch.Tensor], plan: SamplePlan,
                     rng: np.random.Generator) -> Example:
        """Build the example from decoded views: ``views[i]`` is uint8 ``[T, C, H, W]`` of ``plan.views[i]``.
        """
        ...

    @property
    def head(self) -> ComponentSpec:
        """The head the pretext trains (a ``HEADS`` entry with its options, e.g. the number of classes)."""
        ...

    @property
    def loss(self) -> ComponentSpec:
        """The loss the pretext trains with (a ``LOSSES`` entry with its options)."""
        ...
