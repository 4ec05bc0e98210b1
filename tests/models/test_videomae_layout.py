"""VideoMAE's released layout: separate query/value biases, a 1D position table, eps 1e-6, fc_norm pooling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import temporal_ssl
from temporal_ssl.models.layers.pos_embed import sincos_token_table

# ViT-S width at 2 blocks on 4×32×32 clips (the layout does not depend on depth or size)
VIDEOMAE = {"pos_embed": "sincos_1d", "norm_eps": 1e-6, "pooling": "fc_norm", "depth": 2, "input_size": 32,
            "num_frames": 4}


def videomae_position_table(num_tokens: int, dim: int) -> torch.Tensor:
    """VideoMAE's ``get_sinusoid_encoding_table``: angle ``p / 10000^(2⌊j/2⌋/dim)``, sin on even j, cos on
    odd j."""
    angles = np.array([[p / np.power(10000, 2 * (j // 2) / dim) for j in range(dim)]
                       for p in range(num_tokens)])
    angles[:, 0::2] = np.sin(angles[:, 0::2])
    angles[:, 1::2] = np.cos(angles[:, 1::2])
    return torch.tensor(angles, dtype=torch.float32).unsqueeze(0)


def test_the_token_table_is_videomaes() -> None:
    torch.testing.assert_close(sincos_token_table(40, 384), videomae_position_table(40, 384), rtol=0,
                               atol=1e-6)


def videomae_file(encoder: torch.nn.Module) -> dict:
    """The encoder's weights as a VideoMAE fine-tuning file: ``{"module": ...}``, q/v biases apart, a head."""
    state = {}
    for key, value in encoder.state_dict().items():
        if key.endswith("attn.qkv.bias"):
            query, _, value_bias = value.chunk(3)
            state[key.replace("qkv.bias", "q_bias")] = query
            state[key.replace("qkv.bias", "v_bias")] = value_bias
        else:
            state[key] = value
    return {"module": {**state, "head.weight": torch.randn(400, 384), "head.bias": torch.randn(400)}}


def videomae_like_encoder() -> torch.nn.Module:
    torch.manual_seed(4)
    encoder = temporal_ssl.build_encoder("video_vit_s", VIDEOMAE)
    with torch.no_grad():
        for block in encoder.blocks:
            block.attn.qkv.bias.normal_()
            block.attn.qkv.bias[384:768] = 0  # VideoMAE learns no key bias
        encoder.fc_norm.weight.uniform_(0.5, 1.5)
    return encoder.eval()


def test_a_videomae_checkpoint_loads_and_exports_back() -> None:
    source = videomae_like_encoder()
    file = videomae_file(source)
    loaded = temporal_ssl.build_encoder("video_vit_s", VIDEOMAE, weights=file).eval()
    x = torch.randn(2, 3, 4, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), source(x))
    exported = temporal_ssl.export_encoder(loaded, format="videomae")
    expected = {k: v for k, v in file["module"].items() if not k.startswith("head.")}
    assert sorted(exported) == sorted(expected)
    assert all(torch.equal(exported[k], expected[k]) for k in expected)


def test_videomae_weights_need_videomae_options() -> None:
    file = videomae_file(videomae_like_encoder())
    plain = {k: v for k, v in VIDEOMAE.items() if k not in ("pooling", "pos_embed", "norm_eps")}
    with pytest.raises(temporal_ssl.CheckpointError,
                       match=r"detected format 'videomae'; missing \['norm.weight', 'norm.bias'\].*"
                             r"unexpected \['fc_norm.bias', 'fc_norm.weight'\]"):
        temporal_ssl.build_encoder("video_vit_s", plain, weights=file)


def test_a_learned_key_bias_has_no_place_in_videomae() -> None:
    encoder = temporal_ssl.build_encoder("video_vit_s", VIDEOMAE)
    with torch.no_grad():
        encoder.blocks[0].attn.qkv.bias.fill_(0.1)
    with pytest.raises(ValueError, match="format 'videomae' cannot hold 'blocks.0.attn.qkv.bias'"):
        temporal_ssl.export_encoder(encoder, format="videomae")
