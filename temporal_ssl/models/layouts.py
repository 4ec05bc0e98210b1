"""How other code bases name our encoders' tensors, so their released weights load and ours export.

A :class:`Layout` maps each key of one of our encoders' ``state_dict`` to the key the same tensor has in
another code base (``None`` when that format has no such tensor), and says which of that format's keys belong
to parts we do not keep (classifier heads). Loading inverts the map over the model's own keys; exporting
applies it. Formats per encoder:

===============================  ============================================================================
encoder                          formats besides ``native``
===============================  ============================================================================
``r3d_18``, ``r2plus1d_18``      ``torchvision`` (``torchvision.models.video.r3d_18`` / ``r2plus1d_18``)
``r3d_10``                       ``torchvision`` (``VideoResNet`` with one block per stage), ``vcop``
``r2plus1d_10``                  ``vcop`` (VCOP's widths differ from torchvision's: no torchvision format)
``c3d``                          ``vcop``
``resnet18_2d``                  ``torchvision`` (``torchvision.models.resnet18``)
``slow_r50``, ``r3d_50``         ``pyslowfast`` (PySlowFast ``ResNet``/``ContrastiveModel``), ``pytorchvideo``
``video_vit_s``, ``video_vit_b``  ``videomae`` (built with VideoMAE's options, see ``encoders.video_vit``)
===============================  ============================================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

Rule = tuple[str, Callable[[re.Match[str]], str]]
Tensors = dict[str, torch.Tensor]


@dataclass(frozen=True)
class Layout:
    """One code base's names for an encoder's tensors.

    Args:
        name: the format's name (``"torchvision"``, ``"vcop"`` ...).
        rules: ``(pattern, replacement)`` pairs tried in order on each of our keys; the first pattern that
            matches the whole key gives the foreign key. A key no rule matches has no place in the format.
        ignored: patterns of foreign keys outside the encoder (classifiers, heads), skipped when loading.
        read: reshapes a foreign file's tensors where they are not one-to-one with ours, before renaming.
        write: the inverse of ``read``, after renaming (raises ``ValueError`` when a value has no place).
    """

    name: str
    rules: Sequence[Rule]
    ignored: Sequence[str] = ()
    read: Callable[[Tensors], Tensors] | None = None
    write: Callable[[Tensors], Tensors] | None = None

    def foreign_key(self, key: str) -> str | None:
        """The name of our tensor ``key`` in this format, or ``None`` when the format cannot hold it."""
        for pattern, replace in self.rules:
            match = re.fullmatch(pattern, key)
            if match:
                return replace(match)
        return None

    def is_ignored(self, foreign_key: str) -> bool:
        """Whether ``foreign_key`` belongs to a part of the foreign model we do not keep."""
        return any(re.fullmatch(pattern, foreign_key) for pattern in self.ignored)


NATIVE = Layout("native", [(r"(.*)", lambda m: m[1])])

_TORCHVISION = Layout("torchvision", [(r"net\.(.*)", lambda m: m[1])], ignored=[r"fc\..*"])


def _vcop_block(stage: str, block: str) -> str:
    """VCOP's name of block ``block`` of torchvision stage ``layer<stage>`` (its ``conv2`` … ``conv5``)."""
    index = int(block)
    return f"conv{int(stage) + 1}." + ("block1" if index == 0 else f"blocks.{index - 1}")


_VCOP_UNITS = {"conv1": ("conv1", "bn1"), "conv2": ("conv2", "bn2"),
               "downsample": ("downsampleconv", "downsamplebn")}


def _vcop_resnet(conv_parts: dict[str, str], stem_parts: dict[str, str], stem_bn: str) -> Layout:
    """VCOP's ``R3DNet`` / ``R2Plus1DNet`` names for our torchvision-shaped 10-layer networks.

    Args:
        conv_parts: index path inside one of torchvision's block convolutions (``"0"`` for a plain Conv3d;
            ``"0.0"``, ``"0.1"``, ``"0.3"`` for the spatial conv, middle BN and temporal conv of a factorised
            one) → VCOP's attribute inside its ``SpatioTemporalConv``.
        stem_parts: the same for the indices of our ``stem`` Sequential.
        stem_bn: the index of the stem's output BN (VCOP's ``bn1``).
    """
    parts = "|".join(re.escape(p) for p in conv_parts)
    stem = "|".join(re.escape(p) for p in stem_parts)
    rules: list[Rule] = [
        (rf"net\.stem\.({stem})\.(.*)", lambda m: f"conv1.{stem_parts[m[1]]}.{m[2]}"),
        (rf"net\.stem\.{stem_bn}\.(.*)", lambda m: f"bn1.{m[1]}"),
        (rf"net\.layer(\d)\.(\d+)\.(conv1|conv2|downsample)\.({parts})\.(.*)",
         lambda m: f"{_vcop_block(m[1], m[2])}.{_VCOP_UNITS[m[3]][0]}.{conv_parts[m[4]]}.{m[5]}"),
        (r"net\.layer(\d)\.(\d+)\.(conv1|conv2|downsample)\.1\.(.*)",
         lambda m: f"{_vcop_block(m[1], m[2])}.{_VCOP_UNITS[m[3]][1]}.{m[4]}"),
    ]
    return Layout("vcop", rules, ignored=[r"linear\..*"])


_VCOP_R3D = _vcop_resnet({"0": "temporal_spatial_conv"}, {"0": "temporal_spatial_conv"}, "1")
_FACTORISED = {"0": "spatial_conv", "1": "bn", "3": "temporal_conv"}
_VCOP_R2PLUS1D = _vcop_resnet({f"0.{k}": v for k, v in _FACTORISED.items()}, _FACTORISED, "4")
_VCOP_C3D = Layout("vcop", [(r"((conv|bn)\d[ab]?\..*)", lambda m: m[1])], ignored=[r"linear\..*"])


def _bottleneck_resnet(name: str, stem: tuple[str, str], block: Callable[[int, str], str],
                       units: dict[str, str], ignored: str) -> Layout:
    """A layout of :class:`~temporal_ssl.models.encoders.bottleneck_resnet.BottleneckResNet3d`.

    Args:
        name: the format's name.
        stem: the names of the stem's convolution and of its BN.
        block: ``(stage index from 0, block index) →`` the block's prefix.
        units: our unit names (``conv_a`` … ``shortcut.1``) → theirs inside a block.
        ignored: the pattern of the format's classifier keys.
    """
    return Layout(name, [
        (r"stem\.0\.(.*)", lambda m: f"{stem[0]}.{m[1]}"),
        (r"stem\.1\.(.*)", lambda m: f"{stem[1]}.{m[1]}"),
        (r"stages\.(\d)\.(\d+)\.(conv_[abc]|bn_[abc]|shortcut\.[01])\.(.*)",
         lambda m: f"{block(int(m[1]), m[2])}.{units[m[3]]}.{m[4]}"),
    ], ignored=[ignored])


_PYSLOWFAST = _bottleneck_resnet(
    "pyslowfast", ("s1.pathway0_stem.conv", "s1.pathway0_stem.bn"),
    lambda stage, index: f"s{stage + 2}.pathway0_res{index}",
    {"conv_a": "branch2.a", "bn_a": "branch2.a_bn", "conv_b": "branch2.b",
     "bn_b": "branch2.b_bn", "conv_c": "branch2.c", "bn_c": "branch2.c_bn", "shortcut.0": "branch1",
     "shortcut.1": "branch1_bn"},
    r"head\..*")
_PYTORCHVIDEO = _bottleneck_resnet(
    "pytorchvideo", ("blocks.0.conv", "blocks.0.norm"),
    lambda stage, index: f"blocks.{stage + 1}.res_blocks.{index}",
    {"conv_a": "branch2.conv_a", "bn_a": "branch2.norm_a", "conv_b": "branch2.conv_b",
     "bn_b": "branch2.norm_b", "conv_c": "branch2.conv_c", "bn_c": "branch2.norm_c",
     "shortcut.0": "branch1_conv", "shortcut.1": "branch1_norm"},
    r"blocks\.5\..*")


def _join_query_value_biases(tensors: Tensors) -> Tensors:
    """VideoMAE's ``attn.q_bias`` and ``attn.v_bias`` as one ``attn.qkv.bias`` with a zero key bias."""
    joined = dict(tensors)
    for key in tensors:
        if key.endswith("attn.q_bias") and f"{key[:-6]}v_bias" in tensors:
            query, value = joined.pop(key), joined.pop(f"{key[:-6]}v_bias")
            joined[f"{key[:-6]}qkv.bias"] = torch.cat([query, torch.zeros_like(query), value])
    return joined


def _split_query_value_biases(tensors: Tensors) -> Tensors:
    """The inverse of :func:`_join_query_value_biases`; VideoMAE has no place for a learned key bias."""
    split = dict(tensors)
    for key in tensors:
        if key.endswith("attn.qkv.bias"):
            query, key_bias, value = split.pop(key).chunk(3)
            if key_bias.any():
                raise ValueError(f"format 'videomae' cannot hold '{key}': VideoMAE has no key bias and this "
                                 "one is not zero (build the ViT with qkv_bias=False, or export 'native')")
            split[f"{key[:-8]}q_bias"], split[f"{key[:-8]}v_bias"] = query, value
    return split


_VIDEOMAE = Layout("videomae", [(r"(.*)", lambda m: m[1])], ignored=[r"head\..*"],
                   read=_join_query_value_biases, write=_split_query_value_biases)

LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "r3d_18": (_TORCHVISION,),
    "r2plus1d_18": (_TORCHVISION,),
    "r3d_10": (_TORCHVISION, _VCOP_R3D),
    "r2plus1d_10": (_VCOP_R2PLUS1D,),
    "c3d": (_VCOP_C3D,),
    "resnet18_2d": (_TORCHVISION,),
    "slow_r50": (_PYSLOWFAST, _PYTORCHVIDEO),
    "r3d_50": (_PYSLOWFAST, _PYTORCHVIDEO),
    "video_vit_s": (_VIDEOMAE,),
    "video_vit_b": (_VIDEOMAE,),
}


def layouts_for(encoder: str) -> tuple[Layout, ...]:
    """Every format encoder ``encoder`` loads and exports, ``native`` first."""
    return (NATIVE, *LAYOUTS.get(encoder, ()))
