"""Weights in and out: torchvision round trips, this package's checkpoints, errors that name the cause."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
import torch
import torchvision
from torch import nn

import temporal_ssl
from temporal_ssl.cli.export import main as export_main
from temporal_ssl.config import to_dict
from temporal_ssl.engine import load_pretrain_config
from temporal_ssl.engine.checkpoint import FORMAT_VERSION
from temporal_ssl.errors import CheckpointError
from temporal_ssl.models import build_pretext_model
from tests.models.weight_helpers import randomise_batch_norm

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "pretrain"


@functools.cache
def encoder(name: str) -> nn.Module:
    """One randomised build per architecture for the module."""
    torch.manual_seed(1)
    return randomise_batch_norm(temporal_ssl.build_encoder(name)).eval()


@pytest.mark.parametrize(("name", "factory"), [("r3d_18", torchvision.models.video.r3d_18),
                                                ("r2plus1d_18", torchvision.models.video.r2plus1d_18)])
def test_torchvision_round_trip_gives_equal_outputs(name: str, factory) -> None:
    ours = encoder(name)
    exported = temporal_ssl.export_encoder(ours, format="torchvision")
    reference = factory()
    result = reference.load_state_dict(exported, strict=False)
    assert sorted(result.missing_keys) == ["fc.bias", "fc.weight"] and not result.unexpected_keys
    reference.fc = nn.Identity()
    back = temporal_ssl.build_encoder(name, weights=reference.state_dict()).eval()
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        assert torch.equal(reference.eval()(x), ours(x))
        assert torch.equal(back(x), ours(x))


def test_a_torchvision_file_with_its_classifier_loads(tmp_path: Path) -> None:
    reference = randomise_batch_norm(torchvision.models.video.r3d_18()).eval()
    path = tmp_path / "r3d_18_kinetics.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()}}, path)
    ours = temporal_ssl.build_encoder("r3d_18", weights=path).eval()
    reference.fc = nn.Identity()
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        assert torch.equal(ours(x), reference(x))


def test_a_mismatched_layout_names_the_format_and_the_keys() -> None:
    with pytest.raises(CheckpointError) as error:
        temporal_ssl.build_encoder("r2plus1d_18", weights=torchvision.models.video.r3d_18().state_dict())
    message = str(error.value)
    assert "does not fit encoder 'r2plus1d_18': detected format 'torchvision'" in message
    assert "missing ['stem.3.weight'" in message and "unexpected ['layer1.0.conv1.0.weight'" in message
    with pytest.raises(CheckpointError, match=r"in no format encoder 'c3d' loads \(native, vcop\)"):
        temporal_ssl.build_encoder("c3d", weights={"head.weight": torch.zeros(2)})


def test_a_wrong_shape_names_both_keys() -> None:
    state = dict(encoder("r3d_10").state_dict())
    state["net.stem.0.weight"] = torch.zeros(64, 3, 1, 7, 7)
    with pytest.raises(CheckpointError, match=re.escape("'net.stem.0.weight' has shape (64, 3, 1, 7, 7), the "
                                                        "encoder's 'net.stem.0.weight' (64, 3, 3, 7, 7)")):
        temporal_ssl.build_encoder("r3d_10", weights=state)


def test_a_format_that_cannot_hold_the_architecture_says_so() -> None:
    message = "format 'torchvision' cannot hold encoder 'r2plus1d_10'; its formats are: native, vcop"
    with pytest.raises(ValueError, match=message):
        temporal_ssl.export_encoder(encoder("r2plus1d_10"), format="torchvision")
    with pytest.raises(ValueError, match="pass name="):
        temporal_ssl.export_encoder(nn.Conv3d(3, 4, 1))


def package_checkpoint(tmp_path: Path, name: str = "r3d_10") -> tuple[Path, nn.Module]:
    """A training checkpoint as the engine writes it: a momentum model's state and a resolved config."""
    config = to_dict(load_pretrain_config(CONFIGS / "vcop.yaml", [f"model.encoder={name}"]))
    model = build_pretext_model(name, None, "identity", None, momentum=0.99)
    randomise_batch_norm(model.encoder)
    randomise_batch_norm(model.momentum_encoder, seed=1)  # stored after the online encoder: must not win
    path = tmp_path / "step_00000010.pt"
    torch.save({"format_version": FORMAT_VERSION, "step": 10, "model": model.state_dict(), "config": config},
               path)
    return path, model.encoder.eval()


def test_a_package_checkpoint_loads_its_online_encoder_with_its_input_settings(tmp_path: Path) -> None:
    path, trained = package_checkpoint(tmp_path)
    loaded = temporal_ssl.build_encoder("r3d_10", weights=path).eval()
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        assert torch.equal(loaded(x), trained(x))
    meta = loaded.weights_meta
    assert meta.frames == 8 and meta.input_size == (32, 32) and meta.mean == (0.45, 0.45, 0.45)
    with pytest.raises(CheckpointError, match="holds encoder 'r3d_10', not 'r3d_18'"):
        temporal_ssl.build_encoder("r3d_18", weights=path)


def test_export_command_writes_torchvision_weights_and_the_sidecar(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, trained = package_checkpoint(tmp_path)
    out = tmp_path / "exported" / "r3d_10_vcop.pt"
    assert export_main([str(path), "--format", "torchvision", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    sidecar = json.loads(Path(f"{out}.json").read_text())
    assert sidecar["encoder"] == "r3d_10" and sidecar["format"] == "torchvision"
    assert sidecar["mean"] == [0.45, 0.45, 0.45] and sidecar["std"] == [0.225, 0.225, 0.225]
    assert sidecar["frames"] == 8 and sidecar["input_size"] == [32, 32]
    # torchvision's VideoResNet with one block per stage is VCOP's R3D
    video_resnet = torchvision.models.video.resnet
    reference = video_resnet.VideoResNet(video_resnet.BasicBlock, [video_resnet.Conv3DSimple] * 4,
                                         [1, 1, 1, 1], video_resnet.BasicStem)
    result = reference.load_state_dict(torch.load(out, weights_only=True), strict=False)
    assert sorted(result.missing_keys) == ["fc.bias", "fc.weight"] and not result.unexpected_keys
    again = temporal_ssl.build_encoder("r3d_10", weights=out).eval()  # reads the sidecar back
    assert again.weights_meta == trained_meta(path)
    reference.fc = nn.Identity()
    x = torch.randn(1, 3, 4, 32, 32)
    with torch.no_grad():
        assert torch.equal(reference.eval()(x), trained(x)) and torch.equal(again(x), trained(x))


def trained_meta(path: Path) -> temporal_ssl.models.WeightsMeta:
    return temporal_ssl.models.weights.weights_meta(path)


def test_export_command_errors_name_the_cause(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = package_checkpoint(tmp_path, "r2plus1d_10")
    out = tmp_path / "out.pt"
    assert export_main([str(path), "--format", "torchvision", "--out", str(out)]) == 2
    assert "format 'torchvision' cannot hold encoder 'r2plus1d_10'" in capsys.readouterr().err
    assert not out.exists()
    assert export_main([str(tmp_path / "missing.pt"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_a_broken_sidecar_is_named(tmp_path: Path) -> None:
    path = tmp_path / "weights.pt"
    torch.save(dict(encoder("r3d_10").state_dict()), path)
    Path(f"{path}.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=re.escape(f"'{path}.json' beside the weights cannot be read")):
        temporal_ssl.build_encoder("r3d_10", weights=path)


def test_torchvision_resnet18_weights_fill_the_frame_encoder() -> None:
    reference = randomise_batch_norm(torchvision.models.resnet18()).eval()
    ours = temporal_ssl.build_encoder("resnet18_2d", weights=reference.state_dict()).eval()
    reference.fc = nn.Identity()
    frames = torch.randn(2, 3, 3, 64, 64)
    with torch.no_grad():
        per_frame = torch.stack([reference(frames[:, :, t]) for t in range(3)], dim=1)  # [B, T, 512]
        torch.testing.assert_close(ours(frames), per_frame.mean(dim=1), rtol=1e-5, atol=1e-6)
