"""Temporally consistent augmentation: one draw per clip, CPU per-clip path == batched path, determinism."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from temporal_ssl.config import from_dict, load_yaml, to_dict
from temporal_ssl.data.transforms import AugmentParams, VideoAugmentation, VideoEvalTransform
from temporal_ssl.errors import ConfigError

CVRL_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "pretrain" / "cvrl.yaml"

STRONG = VideoAugmentation(output_size=(24, 20), crop_scale=(0.05, 1.0), horizontal_flip_prob=0.5,
                           color_jitter_prob=0.8, grayscale_prob=0.3, blur_prob=0.5, blur_kernel_size=5,
                           solarize_prob=0.3)


def _clips(num: int, frames: int = 3, height: int = 30, width: int = 40, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (num, frames, 3, height, width), generator=generator, dtype=torch.uint8)


def test_defaults_are_cvrl_reference_values_with_flip_off() -> None:
    aug = VideoAugmentation()
    assert (aug.crop_scale, aug.crop_ratio) == ((0.3, 1.0), (0.5, 2.0))
    assert (aug.brightness, aug.contrast, aug.saturation, aug.hue) == (0.8, 0.8, 0.8, 0.2)
    assert (aug.color_jitter_prob, aug.grayscale_prob, aug.color_jitter_random_order) == (0.8, 0.2, True)
    assert aug.horizontal_flip_prob == 0.0


def test_cvrl_config_holds_cvrls_asymmetric_view_pair() -> None:
    section = load_yaml(CVRL_CONFIG)["augment"]
    aug = from_dict(VideoAugmentation, section, where="augment")
    first, second = aug.for_view(0), aug.for_view(1)
    assert (first.blur_prob, first.solarize_prob, second.blur_prob, second.solarize_prob) == (1.0, 0.0, 0.1,
                                                                                              0.2)
    # everything else is shared by the two clips and is CVRL's (the class defaults)
    reference = VideoAugmentation(output_size=aug.output_size)
    for view in (first, second):
        assert (view.crop_scale, view.crop_ratio, view.grayscale_prob) == (
            reference.crop_scale, reference.crop_ratio, reference.grayscale_prob)
        assert (view.brightness, view.hue, view.color_jitter_prob) == (0.8, 0.2, 0.8)
        assert view.output_size == aug.output_size and not view.view_overrides


def test_view_overrides_change_only_their_views_draws() -> None:
    # base: blur and solarise with p = 0.5; view 0 always blurred, view 1 never solarised
    aug = VideoAugmentation(blur_prob=0.5, solarize_prob=0.5,
                            view_overrides=({"blur_prob": 1.0}, {"solarize_prob": 0.0}))
    rng = np.random.default_rng(11)
    draws = [aug.sample_params(rng, num_clips=2, height=30, width=40) for _ in range(600)]
    blurred = np.array([d.blur_sigma > 0 for d in draws])  # [600, 2]
    solarized = np.array([d.solarize for d in draws])
    assert blurred[:, 0].all() and not solarized[:, 1].any()
    # the options a view does not override stay the section's
    assert abs(blurred[:, 1].mean() - 0.5) < 0.06 and abs(solarized[:, 0].mean() - 0.5) < 0.06
    # the two views are independent draws (different crops)
    assert np.mean([not np.array_equal(d.crop_boxes[0], d.crop_boxes[1]) for d in draws]) > 0.9


def test_view_overrides_keep_one_draw_per_augment_group() -> None:
    aug = VideoAugmentation(grayscale_prob=0.5, view_overrides=({"grayscale_prob": 1.0},
                                                                {"grayscale_prob": 0.0},
                                                                {"grayscale_prob": 1.0}))
    params = aug.sample_params(np.random.default_rng(2), num_clips=3, height=30, width=40, groups=[4, 9, 4])
    assert params.grayscale.tolist() == [True, False, True]
    for name in ("crop_boxes", "brightness", "hue", "color_order", "blur_sigma"):
        assert np.array_equal(getattr(params, name)[0], getattr(params, name)[2])  # group 4: one draw
    with pytest.raises(ConfigError, match=re.escape("views 0 and 1 share one augmentation draw (augment "
                                                    "group 0) but augment.view_overrides gives them")):
        aug.sample_params(np.random.default_rng(2), num_clips=3, height=30, width=40, groups=[0, 0, 1])
    with pytest.raises(ConfigError, match=re.escape("augment.view_overrides has 3 entries but the example "
                                                    "has 2 views")):
        aug.sample_params(np.random.default_rng(2), num_clips=2, height=30, width=40)


def test_view_overrides_are_validated_with_the_valid_keys() -> None:
    section = {"blur_prob": 0.2, "view_overrides": [{"blur_prob": 1.0}, {"solarize_prob": 0.2,
                                                                          "crop_scale": [0.5, 1]}]}
    aug = from_dict(VideoAugmentation, section, where="augment")
    assert aug.for_view(1).crop_scale == (0.5, 1.0) and aug.for_view(1).blur_prob == 0.2
    assert from_dict(VideoAugmentation, to_dict(aug), where="augment") == aug  # a saved config reloads
    with pytest.raises(ConfigError, match=re.escape(
            "unknown key 'augment.view_overrides[1].blur_prb'; did you mean 'blur_prob'? Valid keys under "
            "'augment.view_overrides[1]': blur_prob, blur_sigma, brightness")):
        from_dict(VideoAugmentation, {"view_overrides": [{}, {"blur_prb": 0.1}]}, where="augment")
    with pytest.raises(ConfigError, match=re.escape("unknown key 'augment.view_overrides[0].output_size'")):
        VideoAugmentation(view_overrides=({"output_size": 64},))  # one shape for every view
    with pytest.raises(ConfigError, match=re.escape("augment.view_overrides[0].blur_prob = 1.5 must lie in "
                                                    "[0, 1]")):
        VideoAugmentation(view_overrides=({"blur_prob": 1.5},))
    with pytest.raises(ConfigError, match=re.escape("'augment.view_overrides[0].hue' must be a number")):
        VideoAugmentation(view_overrides=({"hue": "high"},))


def test_cpu_and_batched_paths_agree_given_the_same_parameters() -> None:
    clips = _clips(12)
    params = STRONG.sample_params(np.random.default_rng(0), num_clips=12, height=30, width=40)
    # the draw must exercise every branch, or agreement would prove little
    assert params.flip.any() and (~params.flip).any() and params.grayscale.any() and params.solarize.any()
    assert (params.blur_sigma > 0).any() and (params.hue != 0).any() and (params.hue == 0).any()
    assert (params.crop_boxes[:, 2] < 24).any() and (params.crop_boxes[:,
                                                                       2] > 24).any()  # up- and down-scaling
    assert len({tuple(o) for o in params.color_order}) > 1
    batched = STRONG.apply_batch(clips, params)
    per_clip = torch.stack([STRONG.apply(clips[n], params[n]) for n in range(12)])
    assert batched.shape == (12, 3, 3, 24, 20) and batched.dtype == torch.float32
    torch.testing.assert_close(batched, per_clip, atol=2e-4, rtol=0)


@pytest.mark.cuda
def test_batched_path_on_the_gpu_matches_the_cpu_path() -> None:
    clips = _clips(8)
    params = STRONG.sample_params(np.random.default_rng(10), num_clips=8, height=30, width=40)
    on_gpu = STRONG.apply_batch(clips.to("cuda"), params)
    assert on_gpu.device.type == "cuda"
    per_clip = torch.stack([STRONG.apply(clips[n], params[n]) for n in range(8)])
    torch.testing.assert_close(on_gpu.cpu(), per_clip, atol=5e-4, rtol=0)


def test_every_frame_of_a_clip_gets_the_same_parameters() -> None:
    frame = _clips(1, frames=1)[0, 0]
    static = frame.expand(6, -1, -1, -1).contiguous()  # six identical frames
    rng = np.random.default_rng(1)
    for _ in range(5):
        out = STRONG(static, rng)
        assert torch.equal(out, out[:1].expand_as(out))  # any per-frame draw would make frames differ
    batch = torch.stack([static, static])
    out = STRONG.apply_batch(batch, STRONG.sample_params(rng, num_clips=2, height=30, width=40))
    assert torch.equal(out[0], out[0, :1].expand_as(out[0]))
    assert not torch.allclose(out[0], out[1])  # two clips: independent draws


def test_a_crop_cuts_every_frame_at_the_same_box() -> None:
    # frame t is a pattern moved right by t pixels; each output frame must be its frame cut at one shared box
    base = torch.zeros(3, 30, 60, dtype=torch.uint8)
    base[:, 10:14, 20:24] = 255
    clip = torch.stack([torch.roll(base, shifts=t, dims=-1) for t in range(4)])
    aug = VideoAugmentation(output_size=(30, 40), crop_scale=(0.6, 0.6), crop_ratio=(1.0, 1.0),
                            color_jitter_prob=0, grayscale_prob=0, normalize=False)
    params = aug.sample_params(np.random.default_rng(3), num_clips=1, height=30, width=60)
    top, left, height, width = (int(v) for v in params.crop_boxes[0])
    out = aug.apply(clip, params)
    for t in range(4):
        cut = clip[t:t + 1, :, top:top + height, left:left + width].float() / 255
        expected = torch.nn.functional.interpolate(cut, size=(30, 40), mode="bilinear", align_corners=False)
        torch.testing.assert_close(out[t:t + 1], expected)
    centroids = [float((out[t, 0].sum(0) * torch.arange(40)).sum() / out[t, 0].sum()) for t in range(4)]
    np.testing.assert_allclose(np.diff(centroids), 40 / width,
                               atol=0.05)  # the content moves, the box does not


def test_groups_share_one_draw() -> None:
    params = STRONG.sample_params(np.random.default_rng(4), num_clips=4, height=30, width=40, groups=[7, 3,
                                                                                                      7, 3])
    for field in ("crop_boxes", "flip", "brightness", "hue", "color_order", "blur_sigma", "solarize"):
        values = getattr(params, field)
        assert np.array_equal(values[0], values[2]) and np.array_equal(values[1], values[3])
    assert not np.array_equal(params.crop_boxes[0], params.crop_boxes[1])


def test_sampling_is_deterministic_per_seed() -> None:
    def draw(seed: int) -> AugmentParams:
        return STRONG.sample_params(np.random.default_rng(seed), num_clips=5, height=30, width=40)

    first, again, other = draw(5), draw(5), draw(6)
    assert np.array_equal(first.crop_boxes, again.crop_boxes) and np.array_equal(first.hue, again.hue)
    assert not np.array_equal(first.crop_boxes, other.crop_boxes)


def test_random_resized_crop_boxes_follow_scale_and_ratio() -> None:
    aug = VideoAugmentation(crop_scale=(0.2, 0.5), crop_ratio=(0.75, 1.333))
    params = aug.sample_params(np.random.default_rng(8), num_clips=2000, height=120, width=160)
    top, left, height, width = params.crop_boxes.T
    assert np.all((top >= 0) & (left >= 0) & (top + height <= 120) & (left + width <= 160))
    area = height * width / (120 * 160)
    # rounding the side lengths moves area and ratio a little beyond the drawn values
    assert area.min() > 0.19 and area.max() < 0.51
    ratio = width / height
    assert ratio.min() > 0.75 * 0.95 and ratio.max() < 1.333 * 1.05
    assert math.isclose(np.median(area), 0.35, abs_tol=0.03)


def test_probabilities_are_respected() -> None:
    aug = VideoAugmentation(horizontal_flip_prob=0.5, grayscale_prob=0.2, color_jitter_prob=0.8,
                            blur_prob=0.1)
    params = aug.sample_params(np.random.default_rng(9), num_clips=4000, height=32, width=32)
    assert abs(params.flip.mean() - 0.5) < 0.03 and abs(params.grayscale.mean() - 0.2) < 0.03
    assert abs((params.brightness != 1).mean() - 0.8) < 0.03
    assert abs((params.blur_sigma > 0).mean() - 0.1) < 0.02
    assert params.brightness.min() >= 0.2 and params.brightness.max() <= 1.8
    assert np.abs(params.hue).max() <= 0.2


def test_config_section_builds_and_rejects_bad_values() -> None:
    aug = from_dict(VideoAugmentation, {"output_size": [16, 24], "color_jitter_prob": 0.5}, where="augment")
    assert aug.output_hw == (16, 24) and aug.color_jitter_prob == 0.5
    with pytest.raises(ConfigError, match="unknown key 'augment.cj_prob'"):
        from_dict(VideoAugmentation, {"cj_prob": 0.5}, where="augment")
    with pytest.raises(ConfigError, match=r"augment.grayscale_prob = 1.5 must lie in \[0, 1\]"):
        VideoAugmentation(grayscale_prob=1.5)
    with pytest.raises(ConfigError, match="augment.crop_scale"):
        VideoAugmentation(crop_scale=(0.8, 0.3))


def test_parameters_for_another_frame_size_are_refused() -> None:
    params = STRONG.sample_params(np.random.default_rng(0), num_clips=1, height=10, width=10)
    with pytest.raises(ValueError, match=r"parameters were drawn for \(10, 10\) frames"):
        STRONG.apply(_clips(1)[0], params)


def test_eval_transform_three_crops_and_normalisation() -> None:
    clip = _clips(1, height=30, width=40)[0]
    out = VideoEvalTransform(resize=24, crop_size=24, num_crops=3, normalize=False)(clip)
    assert out.shape == (3, 3, 3, 24, 24)
    resized = torch.nn.functional.interpolate(clip.float() / 255, size=(24, 32), mode="bilinear",
                                              align_corners=False)
    torch.testing.assert_close(out[0], resized[..., :24])
    torch.testing.assert_close(out[2], resized[..., 8:])
    normalized = VideoEvalTransform(resize=(12, 16), crop_size=None, mean=(0.5,) * 3, std=(0.25,) * 3)(clip)
    assert normalized.shape == (1, 3, 3, 12, 16)
