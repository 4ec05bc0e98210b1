"""The papers' released checkpoint layouts load: VCOP (C3D, R3D, R(2+1)D), pytorchvideo and PySlowFast
(Slow-R50, and CVRL's R3D-50 in the same layouts).

``data/*.json`` hold the key → shape tables of the official model definitions' ``state_dict()`` (with their
classifiers): ``c3d_vcop``, ``r3d_10_vcop`` and ``r2plus1d_10_vcop`` from ``models/c3d.py``, ``models/r3d.py``
and ``models/r21d.py`` of xudejing/video-clip-order-prediction built with ``layer_sizes=(1, 1, 1, 1)``;
``slow_r50_pytorchvideo`` from pytorchvideo's ``create_resnet`` as its hub ``slow_r50`` calls it. The
PySlowFast table is derived below from the pytorchvideo one with PySlowFast's names. Each test exports a
randomised encoder into the layout, checks that every key and shape is the official one, then loads the file
wrapped as its code base saves it (prefixes, heads, a momentum copy) and compares outputs.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
import torch
from torch import nn

import temporal_ssl
from tests.models.weight_helpers import randomise_batch_norm

DATA = Path(__file__).parent / "data"


def manifest(name: str) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v) for k, v in json.loads((DATA / f"{name}.json").read_text()).items()}


def pyslowfast_names(pytorchvideo: dict[str, tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """PySlowFast's names for the same network (``slowfast/models/{stem,resnet}_helper.py``)."""
    renamed = {}
    for key, shape in pytorchvideo.items():
        key = key.replace("blocks.0.conv.", "s1.pathway0_stem.conv.")
        key = key.replace("blocks.0.norm.", "s1.pathway0_stem.bn.")
        key = key.replace("blocks.5.proj.", "head.projection.")
        stage = re.match(r"blocks\.(\d)\.res_blocks\.(\d+)\.(.*)", key)
        if stage:
            part = stage[3]
            for ours, theirs in (("branch1_conv.", "branch1."), ("branch1_norm.", "branch1_bn."),
                                 ("branch2.conv_a.", "branch2.a."), ("branch2.norm_a.", "branch2.a_bn."),
                                 ("branch2.conv_b.", "branch2.b."), ("branch2.norm_b.", "branch2.b_bn."),
                                 ("branch2.conv_c.", "branch2.c."), ("branch2.norm_c.", "branch2.c_bn.")):
                part = part.replace(ours, theirs)
            key = f"s{int(stage[1]) + 1}.pathway0_res{stage[2]}.{part}"
        renamed[key] = shape
    return renamed


def with_cvrl_stem(table: dict[str, tuple[int, ...]], stem_key: str) -> dict[str, tuple[int, ...]]:
    """The same table with CVRL's 5×7×7 stem."""
    return {**table, stem_key: (64, 3, 5, 7, 7)}


SLOW_PTV = manifest("slow_r50_pytorchvideo")
SLOW_PSF = pyslowfast_names(SLOW_PTV)
# (encoder, format, official table, the official classifier keys)
CASES = [
    ("c3d", "vcop", manifest("c3d_vcop"), ()),
    ("r3d_10", "vcop", manifest("r3d_10_vcop"), ()),
    ("r2plus1d_10", "vcop", manifest("r2plus1d_10_vcop"), ()),
    ("slow_r50", "pytorchvideo", SLOW_PTV, ("blocks.5.proj.weight", "blocks.5.proj.bias")),
    ("slow_r50", "pyslowfast", SLOW_PSF, ("head.projection.weight", "head.projection.bias")),
    ("r3d_50", "pytorchvideo", with_cvrl_stem(SLOW_PTV, "blocks.0.conv.weight"),
     ("blocks.5.proj.weight", "blocks.5.proj.bias")),
    ("r3d_50", "pyslowfast", with_cvrl_stem(SLOW_PSF, "s1.pathway0_stem.conv.weight"),
     ("head.projection.weight", "head.projection.bias")),
]


@functools.cache
def encoder(name: str) -> nn.Module:
    torch.manual_seed(2)
    return randomise_batch_norm(temporal_ssl.build_encoder(name)).eval()


def clip_for(name: str) -> torch.Tensor:
    frames = 16 if name == "r3d_50" else 8
    return torch.randn(1, 3, frames, 32, 32, generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize(("name", "layout", "official", "classifier"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_export_has_exactly_the_official_keys_and_shapes(name: str, layout: str, official: dict,
                                                         classifier: tuple[str, ...]) -> None:
    exported = temporal_ssl.export_encoder(encoder(name), format=layout)
    expected = {k: v for k, v in official.items() if k not in classifier}
    assert {k: tuple(v.shape) for k, v in exported.items()} == expected


def saved_like_its_code_base(name: str, layout: str, official: dict, classifier: tuple[str, ...]) -> dict:
    """The exported weights wrapped as the official training code saves them, plus a decoy copy."""
    exported = temporal_ssl.export_encoder(encoder(name), format=layout)
    heads = {key: torch.randn(official[key]) for key in classifier}
    if layout == "vcop":  # VCOPN.state_dict(): the backbone under base_network, then the order head
        return {**{f"base_network.{k}": v for k, v in exported.items()},
                "fc7.weight": torch.randn(512, 1024), "fc8.weight": torch.randn(6, 1536)}
    if layout == "pyslowfast":  # ContrastiveModel: backbone (its head: the projection), then the EMA copy
        backbone = {f"backbone.{k}": v for k, v in {**exported, **heads}.items()}
        # the EMA copy holds other values: loading it instead of the backbone would change the outputs
        momentum_copy = {f"backbone_hist.{k}": v + 1 for k, v in exported.items()}
        return {"epoch": 200, "model_state": {**backbone, **momentum_copy}}
    return {"model_state": {**exported, **heads}}  # pytorchvideo hub files


@pytest.mark.parametrize(("name", "layout", "official", "classifier"), CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_a_file_in_the_released_layout_loads_with_equal_outputs(
        tmp_path: Path, name: str, layout: str, official: dict, classifier: tuple[str, ...]) -> None:
    path = tmp_path / f"{name}_{layout}.pth"
    torch.save(saved_like_its_code_base(name, layout, official, classifier), path)
    loaded = temporal_ssl.build_encoder(name, weights=path).eval()
    x = clip_for(name)
    with torch.no_grad():
        assert torch.equal(loaded(x), encoder(name)(x))


def test_a_checkpoint_without_batch_norm_counters_loads() -> None:
    # PyTorch before 0.4.1 (and converted files) have no num_batches_tracked
    exported = temporal_ssl.export_encoder(encoder("c3d"), format="vcop")
    old = {k: v for k, v in exported.items() if not k.endswith("num_batches_tracked")}
    loaded = temporal_ssl.build_encoder("c3d", weights=old).eval()
    x = torch.randn(1, 3, 8, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), encoder("c3d")(x))


def test_a_released_file_of_another_depth_is_blamed_on_the_architecture() -> None:
    exported = temporal_ssl.export_encoder(encoder("r3d_10"), format="vcop")
    extra = "conv2.blocks.0.conv1.temporal_spatial_conv.weight"  # a second block, as in an 18-layer R3D
    exported[extra] = torch.zeros(64, 64, 3, 3, 3)
    with pytest.raises(temporal_ssl.CheckpointError,
                       match=re.escape(f"detected format 'vcop'; missing none, unexpected ['{extra}']")):
        temporal_ssl.build_encoder("r3d_10", weights=exported)
