"""Colour and geometry primitives against torchvision (an independent implementation) and closed forms."""

from __future__ import annotations

import math

import pytest
import torch
import torchvision.transforms.v2.functional as TVF

from temporal_ssl.data.transforms import functional as TF


@pytest.fixture(scope="module")
def clip() -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.rand(4, 3, 20, 28, generator=generator)


@pytest.mark.parametrize("factor", [0.3, 1.0, 1.7])
def test_brightness_and_saturation_match_torchvision(clip: torch.Tensor, factor: float) -> None:
    torch.testing.assert_close(TF.adjust_brightness(clip, factor), TVF.adjust_brightness(clip, factor))
    torch.testing.assert_close(TF.adjust_saturation(clip, factor), TVF.adjust_saturation(clip, factor))


@pytest.mark.parametrize("shift", [-0.5, -0.2, 0.0, 0.13, 0.5])
def test_hue_matches_torchvision(clip: torch.Tensor, shift: float) -> None:
    torch.testing.assert_close(TF.adjust_hue(clip, shift), TVF.adjust_hue(clip, shift), atol=2e-5, rtol=0)


def test_hsv_round_trip_includes_greys(clip: torch.Tensor) -> None:
    mixed = clip.clone()
    mixed[:, :, :5] = mixed[:, :1, :5]  # grey pixels (zero chroma)
    torch.testing.assert_close(TF.hsv_to_rgb(TF.rgb_to_hsv(mixed)), mixed, atol=1e-6, rtol=0)


def test_grayscale_and_solarize_match_torchvision(clip: torch.Tensor) -> None:
    torch.testing.assert_close(TF.rgb_to_grayscale(clip), TVF.rgb_to_grayscale(clip))
    torch.testing.assert_close(TF.solarize(clip, 0.5), TVF.solarize(clip, 0.5))


def test_contrast_blends_with_the_mean_of_the_whole_clip(clip: torch.Tensor) -> None:
    gray = 0.2989 * clip[:, 0] + 0.587 * clip[:, 1] + 0.114 * clip[:, 2]
    expected = (0.6 * clip + 0.4 * gray.mean()).clamp(0, 1)  # one mean for all frames, not one per frame
    torch.testing.assert_close(TF.adjust_contrast(clip, 0.6), expected)


def test_per_clip_factors_broadcast_over_a_batch(clip: torch.Tensor) -> None:
    batch = torch.stack([clip, clip.flip(0)])
    factors = torch.tensor([0.5, 1.5])
    out = TF.adjust_contrast(batch, factors)
    torch.testing.assert_close(out[0], TF.adjust_contrast(clip, 0.5))
    torch.testing.assert_close(out[1], TF.adjust_contrast(clip.flip(0), 1.5))
    hue = TF.adjust_hue(batch, torch.tensor([0.1, -0.3]))
    torch.testing.assert_close(hue[1], TF.adjust_hue(clip.flip(0), -0.3))


@pytest.mark.parametrize("sigma", [0.5, 1.3])
def test_blur_matches_torchvision_gaussian_blur(clip: torch.Tensor, sigma: float) -> None:
    kernel = TF.gaussian_kernels(torch.tensor([sigma]), 5)
    planes = clip.reshape(-1, 20, 28)
    ours = TF.blur_planes(planes, kernel.expand(planes.shape[0], -1)).reshape(clip.shape)
    torch.testing.assert_close(ours, TVF.gaussian_blur(clip, [5, 5], [sigma, sigma]), atol=1e-6, rtol=0)
    identity = TF.gaussian_kernels(torch.tensor([0.0]), 5)
    assert identity.tolist() == [[0.0, 0.0, 1.0, 0.0, 0.0]]


def test_short_side_resize_and_crops_follow_pyslowfast(clip: torch.Tensor) -> None:
    resized = TF.resize(clip, 10)
    assert resized.shape[-2:] == (10, math.floor(28 * 10 / 20))
    crops = TF.spatial_crops(resized, 10, num_crops=3)
    width = resized.shape[-1]
    for position, left in enumerate([0, math.ceil((width - 10) / 2), width - 10]):
        torch.testing.assert_close(crops[position], resized[..., :, left:left + 10])
    portrait = clip.transpose(-1, -2)  # 28 x 20: crops move along the height
    tall = TF.spatial_crops(portrait, 20, num_crops=3)
    torch.testing.assert_close(tall[2], portrait[..., 8:28, :])


def test_resize_equals_interpolate_and_uint8_converts(clip: torch.Tensor) -> None:
    as_uint8 = (clip * 255).round().to(torch.uint8)
    expected = torch.nn.functional.interpolate(as_uint8.float() / 255, size=(7, 9), mode="bilinear",
                                               align_corners=False)
    torch.testing.assert_close(TF.resize(as_uint8, (7, 9)), expected)
    torch.testing.assert_close(TF.to_float(as_uint8), as_uint8.float() / 255)


def test_normalize_is_per_channel(clip: torch.Tensor) -> None:
    out = TF.normalize(clip, (0.1, 0.2, 0.3), (0.5, 1.0, 2.0))
    torch.testing.assert_close(out[:, 2], (clip[:, 2] - 0.3) / 2.0)
