"""Executing plans: one get_frames call per camera, views in planned order, valid Examples everywhere."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import torch

import temporal_ssl.losses  # noqa: F401  (registers the losses)
import temporal_ssl.models  # noqa: F401  (registers the heads)
import temporal_ssl.pipeline.decode as decode_module
import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from temporal_ssl.pipeline.decode import decode_views
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.pretext.examples import stack_views
from temporal_ssl.pretext.frame_order.arrow_of_time import ArrowOfTime
from temporal_ssl.pretext.frame_order.vcop import ClipOrderPrediction
from temporal_ssl.pretext.multiview.multiview_tcn import MultiViewTCN
from temporal_ssl.registry import HEADS, LOSSES, PRETEXTS
from temporal_ssl.types import SamplePlan, VideoRecord
from tests.helpers.video_factory import read_barcode


class GetFramesSpy:
    """Wraps ``open_video`` and records every ``get_frames`` call as ``(path, indices)``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, list[int]]] = []
        real_open = decode_module.open_video

        def spying_open(path: str, *args: Any, **kwargs: Any) -> Any:
            reader = real_open(path, *args, **kwargs)
            real_get = reader.get_frames

            def get_frames(indices: Sequence[int], size: tuple[int, int] | None = None) -> torch.Tensor:
                self.calls.append((str(path), [int(i) for i in indices]))
                return real_get(indices, size=size)

            reader.get_frames = get_frames
            return reader

        monkeypatch.setattr(decode_module, "open_video", spying_open)


def barcodes(frames: torch.Tensor) -> list[int]:
    return [read_barcode(frame.cpu().numpy()) for frame in frames]


def assert_views_match_plan(plan: SamplePlan, views: list[torch.Tensor]) -> None:
    assert len(views) == len(plan.views)
    for view, frames in zip(plan.views, views, strict=True):
        assert frames.dtype == torch.uint8 and frames.shape[:2] == (len(view.frame_indices), 3)
        assert barcodes(frames) == list(view.frame_indices)


def test_decode_views_one_call_per_camera_in_view_order(
    monkeypatch: pytest.MonkeyPatch, barcode_records: dict[str, VideoRecord]
) -> None:
    spy = GetFramesSpy(monkeypatch)
    scene = barcode_records["scene"]
    plan = MultiViewTCN(num_timesteps=6).plan(scene, np.random.default_rng(0))
    views = decode_views(plan, size=None)
    assert sorted(path for path, _ in spy.calls) == sorted(s.metadata.path for s in scene.cameras)
    wanted = plan.frames_by_camera()
    for camera, stream in enumerate(scene.cameras):
        (indices,) = [i for path, i in spy.calls if path == stream.metadata.path]
        assert indices == wanted[camera] == sorted(set(indices))
    assert_views_match_plan(plan, views)


@pytest.mark.parametrize(
    "pretext",
    [
        ClipOrderPrediction(num_frames_per_clip=5, clip_gap_frames=3),
        ArrowOfTime(num_frames_per_clip=6, reverse_probability=1.0),
    ],
    ids=["vcop_shuffled", "arrow_reversed"],
)
def test_decode_views_returns_shuffled_and_reversed_orders(
    monkeypatch: pytest.MonkeyPatch, barcode_records: dict[str, VideoRecord], pretext: object
) -> None:
    spy = GetFramesSpy(monkeypatch)
    plan = pretext.plan(barcode_records["single"], np.random.default_rng(3))  # type: ignore[attr-defined]
    views = decode_views(plan, size=None)
    assert len(spy.calls) == 1
    assert_views_match_plan(plan, views)


def test_decode_views_resizes_every_view(barcode_records: dict[str, VideoRecord]) -> None:
    plan = ArrowOfTime(num_frames_per_clip=3).plan(barcode_records["single"], np.random.default_rng(0))
    (frames,) = decode_views(plan, size=(24, 32))
    assert frames.shape == (3, 3, 24, 32)


@pytest.mark.parametrize("name", PRETEXTS.names())
def test_every_pretext_builds_valid_examples(name: str, barcode_records: dict[str, VideoRecord]) -> None:
    pretext = PRETEXTS.build(name, {})
    record = barcode_records["scene" if name == "multiview_tcn" else "single"]
    rng = np.random.default_rng(0)
    for _ in range(2):
        plan = pretext.plan(record, rng)
        views = decode_views(plan, size=(48, 64))
        example = pretext.make_example(views, plan, rng)
        num_views = example.views.shape[0]
        assert example.views.dtype == torch.uint8 and example.views.ndim == 5
        assert example.views.shape[2] == 3
        assert example.instance_ids.dtype == torch.int64 and example.instance_ids.shape == (num_views,)
        assert len(example.roles) == num_views and len(example.augment_groups) == num_views
        assert example.target.dtype == torch.int64 and example.target.ndim == 0
        assert example.video_index == record.index
        head = pretext.head.options
        if "num_classes" in head:
            assert 0 <= int(example.target) < head["num_classes"]
        else:  # contrastive: some views are positives of each other
            assert len(set(example.instance_ids.tolist())) < num_views
        if "num_views" in head:
            assert head["num_views"] == num_views


@pytest.mark.parametrize("name", PRETEXTS.names())
def test_every_pretext_keeps_the_protocol(name: str) -> None:
    pretext = PRETEXTS.build(name, {})
    assert isinstance(pretext, Pretext) and pretext.name == name
    for spec, registry in ((pretext.head, HEADS), (pretext.loss, LOSSES)):
        accepted = registry.option_names(spec.name)  # the component's keyword options
        assert accepted is None or set(spec.options) <= set(accepted), (spec.name, spec.options)


def test_examples_reject_views_that_do_not_match_the_plan(barcode_records: dict[str, VideoRecord]) -> None:
    plan = MultiViewTCN(num_timesteps=2).plan(barcode_records["scene"], np.random.default_rng(0))
    views = [torch.zeros(1, 3, 48, 64 if i % 2 else 60, dtype=torch.uint8) for i in range(len(plan.views))]
    with pytest.raises(ValueError, match=re.escape("pass size=(h, w) to decode_views")):
        stack_views(views, plan)
    with pytest.raises(ValueError, match="has 4 views, got 3 tensors"):
        stack_views(views[:3], plan)
