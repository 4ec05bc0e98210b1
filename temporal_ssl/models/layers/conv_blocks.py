"""Convolution units of the small CPU encoders: full 3D, factorised (2+1)D, and per-frame 2D, each with
BN+ReLU.

All three take and return ``[B, C, T, H, W]``. A ``(1, 3, 3)`` kernel with temporal stride 1 applies the same
2D convolution to every frame, and ``BatchNorm3d`` then normalises over ``(B, T, H, W)`` exactly as
``BatchNorm2d`` would over frames folded into the batch — so the 2D unit needs no reshaping.
"""

from __future__ import annotations

from typing import Literal

from torch import nn

ConvKind = Literal["3d", "2plus1d", "2d"]


def conv_unit(kind: ConvKind, in_channels: int, out_channels: int, *, temporal_stride: int,
              spatial_stride: int) -> nn.Sequential:
    """One ``conv → BN → ReLU`` unit of the given kind (3×3×3, (1×3×3 then 3×1×1), or 1×3×3).

    Args:
        kind: ``"3d"``, ``"2plus1d"`` (R(2+1)D factorisation, mid width chosen to match the 3D unit's
            parameter count as in Tran et al. 2018) or ``"2d"`` (per frame; ``temporal_stride`` must be 1).
        in_channels, out_channels: channel widths.
        temporal_stride, spatial_stride: strides along T and along H, W.
    """
    if kind == "3d":
        return nn.Sequential(
            nn.Conv3d(in_channels, out_channels, kernel_size=3, padding=1, bias=False,
                      stride=(temporal_stride, spatial_stride, spatial_stride)),
            nn.BatchNorm3d(out_channels), nn.ReLU(inplace=True),
        )
    if kind == "2plus1d":
        mid = factorised_width(in_channels, out_channels, (3, 3, 3))
        return nn.Sequential(
            nn.Conv3d(in_channels, mid, kernel_size=(1, 3, 3), padding=(0, 1, 1), bias=False,
                      stride=(1, spatial_stride, spatial_stride)),
            nn.BatchNorm3d(mid), nn.ReLU(inplace=True),
            nn.Conv3d(mid, out_channels, kernel_size=(3, 1, 1), padding=(1, 0, 0), bias=False,
                      stride=(temporal_stride, 1, 1)),
            nn.BatchNorm3d(out_channels), nn.ReLU(inplace=True),
        )
    if kind == "2d":
        if temporal_stride != 1:
            raise ValueError(f"a per-frame 2D convolution cannot stride in time "
                             f"(temporal_stride={temporal_stride}); set every temporal stride to 1")
        return nn.Sequential(
            nn.Conv3d(in_channels, out_channels, kernel_size=(1, 3, 3), padding=(0, 1, 1), bias=False,
                      stride=(1, spatial_stride, spatial_stride)),
            nn.BatchNorm3d(out_channels), nn.ReLU(inplace=True),
        )
    raise ValueError(f"conv kind '{kind}' is not supported; choose '3d', '2plus1d' or '2d'")


def factorised_width(in_channels: int, out_channels: int, kernel: tuple[int, int, int]) -> int:
    """Width of the middle of a ``t×k×k`` convolution factorised into ``1×k×k`` then ``t×1×1``.

    Chosen so the pair has about the parameters of the full ``t×k×k`` convolution (Tran et al. 2018):
    ``⌊t·k²·C_in·C_out / (k²·C_in + t·C_out)⌋``.
    """
    t, kh, kw = kernel
    return (t * kh * kw * in_channels * out_channels) // (kh * kw * in_channels + t * out_channels)


def factorised_conv(in_channels: int, out_channels: int, kernel: tuple[int, int, int], *, stride: int = 1,
                    spatial_stride: int | None = None) -> nn.Sequential:
    """``1×k×k`` convolution → BN → ReLU → ``t×1×1`` convolution, the middle width from
    :func:`factorised_width`; both without bias, zero-padded to keep sizes at stride 1.

    Args:
        in_channels, out_channels: widths.
        kernel: ``(t, k, k)`` of the full convolution it replaces.
        stride: stride along time (and along space unless ``spatial_stride`` is given).
        spatial_stride: stride along H and W when it differs from ``stride``.
    """
    t, kh, kw = kernel
    mid = factorised_width(in_channels, out_channels, kernel)
    space = stride if spatial_stride is None else spatial_stride
    return nn.Sequential(
        nn.Conv3d(in_channels, mid, (1, kh, kw), stride=(1, space, space), padding=(0, kh // 2, kw // 2),
                  bias=False),
        nn.BatchNorm3d(mid),
        nn.ReLU(inplace=True),
        nn.Conv3d(mid, out_channels, (t, 1, 1), stride=(stride, 1, 1), padding=(t // 2, 0, 0), bias=False),
    )


def conv_with_in_channels(conv: nn.Conv2d | nn.Conv3d, in_channels: int) -> nn.Conv2d | nn.Conv3d:
    """A freshly initialised copy of ``conv`` reading ``in_channels`` channels (e.g. 1 for grey-scale input).

    Used to adapt the first layer of a torchvision network built for RGB; returns ``conv`` itself when the
    channel count already matches.
    """
    if conv.in_channels == in_channels:
        return conv
    if in_channels < 1:
        raise ValueError(f"in_channels must be >= 1, got {in_channels}")
    layer: type[nn.Conv2d] | type[nn.Conv3d] = type(conv)
    return layer(in_channels, conv.out_channels, kernel_size=conv.kernel_size,  # type: ignore[arg-type]
                 stride=conv.stride, padding=conv.padding, bias=conv.bias is not None)  # type: ignore[arg-type]
