"""The visualize tool on tracking mined on the fly: a box on every frame in the JSON, tracks in the PNG."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from temporal_ssl.cli.visualize import main

OPTIONS = ("{patch_size: 16, tube_len: 3, tube_stride: 2, mine_frame_stride: 2, track_length: 20, "
           "tracks_per_sample: 2, reversed_negatives: true}")


def test_tracking_json_has_a_box_on_every_frame_and_the_png_draws_the_tracks(tmp_path: Path,
                                                                              corpus_dir: Path) -> None:
    config = tmp_path / "tracking.yaml"
    config.write_text(f"pretext:\n  name: tracking\n  options: {OPTIONS}\n")
    out, plans = tmp_path / "tracking.png", tmp_path / "tracking.json"
    code = main(["--config", str(config), "--data", str(corpus_dir), "--num-samples", "2", "--out", str(out),
                 "--json", str(plans), "--seed", "3", "--workers", "1"])
    assert code == 0
    samples = json.loads(plans.read_text())
    assert len(samples) == 2
    for sample in samples:
        roles = [v["role"] for v in sample["views"]]
        assert roles == ["anchor", "positive", "anchor", "positive", "reversed", "reversed"]
        assert sample["views"] == sample["model_views"]
        for view in sample["views"]:
            assert view["boxes"] is not None and len(view["boxes"]) == len(view["frames"]) == 3
            for x0, y0, x1, y1 in view["boxes"]:
                assert 0 <= x0 < x1 <= 160 and 0 <= y0 < y1 <= 120  # source pixels of the 160 x 120 videos
            assert view["shape"] == [3, 16, 16, 3]
        anchor, positive, reversed_anchor = sample["views"][0], sample["views"][1], sample["views"][4]
        assert positive["frames"][-1] > anchor["frames"][-1]  # never the anchor itself
        assert reversed_anchor["frames"] == anchor["frames"][::-1]
        assert reversed_anchor["boxes"] == anchor["boxes"][::-1]
        window = sample["window"]
        assert len(window["tracks"]) == 2 and all(f in window["frames"] for f in anchor["frames"])
        for track in window["tracks"]:
            assert len(track["boxes"]) == len(track["frames"])
    with Image.open(out) as image:
        pixels = np.asarray(image.convert("RGB")).astype(int)
    red = (pixels[..., 0] == 255) & (pixels[..., 1] == 0) & (pixels[..., 2] == 0)
    assert red.sum() > 50  # track 0's boxes (and its colour bar) were drawn
