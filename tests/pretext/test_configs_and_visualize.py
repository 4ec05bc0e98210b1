"""Pretext configs list their complete option block and fit the default data; tools/visualize.py works."""

from __future__ import annotations

import importlib.util
import json
import shutil
import types
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from temporal_ssl.cli.pair_grid import feed
from temporal_ssl.config import load_yaml
from temporal_ssl.io import probe_video
from temporal_ssl.pipeline.decode import decode_views
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import VideoRecord

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs" / "pretrain"


@pytest.mark.parametrize("name", PRETEXTS.names())
def test_pretext_config_lists_every_option_and_fits_the_default_data(name: str) -> None:
    path = CONFIGS / f"{name}.yaml"
    assert path.is_file(), f"configs/pretrain/{name}.yaml is missing"
    config = load_yaml(path)
    block = config["pretext"]
    assert block["name"] == name
    assert sorted(block["options"]) == sorted(PRETEXTS.option_names(name) or [])
    pretext = PRETEXTS.build(name, block["options"], where="pretext.options")
    data = config.get("data", {})
    if data.get("format", "synthetic") == "synthetic":
        assert pretext.min_num_frames <= data["synthetic"]["num_frames"]


def load_visualize() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("visualize_tool", REPO / "tools" / "visualize.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.mark.parametrize(
    ("name", "options", "layout"),
    [
        ("vcop", "{num_frames_per_clip: 8, clip_gap_frames: 4}", "videos"),
        ("multiview_tcn", "{num_timesteps: 3}", "scenes"),
    ],
)
def test_visualize_writes_png_and_plan_json(
    tmp_path: Path, barcode_dir: Path, name: str, options: str, layout: str
) -> None:
    data = tmp_path / layout
    if layout == "videos":
        data.mkdir()
        shutil.copy(barcode_dir / "long.mp4", data / "long.mp4")
    else:
        (data / "scene_a").mkdir(parents=True)
        for camera in ("cam0", "cam1"):
            shutil.copy(barcode_dir / f"{camera}.mp4", data / "scene_a" / f"{camera}.mp4")
    config = tmp_path / f"{name}.yaml"
    config.write_text(f"pretext:\n  name: {name}\n  options: {options}\n")
    out, plans = tmp_path / "grid.png", tmp_path / "plans.json"
    args = ["--config", str(config), "--data", str(data), "--num-samples", "3", "--out", str(out)]
    code = load_visualize().main([*args, "--json", str(plans), "--seed", "1", "--workers", "1"])
    assert code == 0
    with Image.open(out) as image:
        assert image.width > 200 and image.height > 100
        pixels = np.asarray(image.convert("L"))
    assert pixels.min() < 50 and pixels.max() > 200  # frames and labels were drawn
    samples = json.loads(plans.read_text())
    assert len(samples) == 3
    for sample in samples:
        assert set(sample) >= {"video", "target", "views"} and Path(sample["video"]).is_file()
        for view in sample["views"]:
            assert set(view) >= {"role", "video", "camera", "frames", "boxes"}
            assert isinstance(view["role"], str) and view["boxes"] is None
            assert all(isinstance(f, int) for f in view["frames"])
            if layout == "scenes":
                assert view["camera"] in (0, 1) and Path(view["video"]).name == f"cam{view['camera']}.mp4"
            else:
                assert view["camera"] is None and view["video"] == sample["video"]
    for sample in samples:  # what the model gets: one view per planned view, same frames, roles and ids
        assert [v["frames"] for v in sample["model_views"]] == [v["frames"] for v in sample["views"]]
        assert [(v["role"], v["instance"]) for v in sample["model_views"]] == [
            (v["role"], v["instance"]) for v in sample["views"]]
        assert all(v["shape"][0] == len(v["frames"]) for v in sample["model_views"])
    if name == "vcop":
        assert all(isinstance(s["target"], int) and 0 <= s["target"] < 6 for s in samples)


def test_visualize_shows_the_views_as_the_model_gets_them(tmp_path: Path, barcode_dir: Path) -> None:
    """VCOP's joint fusion feeds one view of the shuffled clips joined in time; OPN feeds channel-split
    frames (the three channels equal), which the second section of the PNG and ``model_views`` show."""
    data = tmp_path / "videos"
    data.mkdir()
    shutil.copy(barcode_dir / "long.mp4", data / "long.mp4")
    config = tmp_path / "joint.yaml"
    config.write_text("pretext:\n  name: vcop\n  options: {num_frames_per_clip: 4, clip_gap_frames: 2, "
                      "fusion: joint}\n")
    plans = tmp_path / "joint.json"
    args = ["--data", str(data), "--num-samples", "2", "--seed", "2", "--workers", "1"]
    assert load_visualize().main(["--config", str(config), "--out", str(tmp_path / "joint.png"),
                                  "--json", str(plans), *args]) == 0
    for sample in json.loads(plans.read_text()):
        (joined,) = sample["model_views"]
        assert joined["role"] == "shuffled_clips" and joined["shape"][0] == 12
        assert joined["frames"] == [f for v in sample["views"] for f in v["frames"]]

    opn = PRETEXTS.build("opn", {"frame_stride": 3, "motion_min_percentile": 0.0})
    record = VideoRecord(index=0, metadata=probe_video(data / "long.mp4"))
    rng = np.random.default_rng(0)
    plan = opn.plan(record, rng)
    fed = feed(opn, plan, decode_views(plan, size=None), rng)
    assert [v.frames for v in fed.views] == [v.frame_indices for v in plan.views]
    for view in fed.views:
        assert np.array_equal(view.pixels[..., 0], view.pixels[..., 1])  # channel splitting
        assert view.pixels.shape[1] < fed.decoded[0].shape[1]  # jitter crops every frame


def test_visualize_reports_a_bad_config_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], barcode_dir: Path
) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("pretext:\n  name: vcop\n  options: {num_clip: 3}\n")
    code = load_visualize().main(
        ["--config", str(config), "--data", str(barcode_dir), "--out", str(tmp_path / "x.png")]
    )
    assert code == 2
    assert "pretext.options.num_clip" in capsys.readouterr().err
