"""See what a pretext samples: a PNG grid of planned views (roles, order, target) and the plans as JSON.

Each sample is a block headed by its video and target; each view is a row of its frames with the role, the
view's position in time (``order``), its instance id (views with one id are positives) and camera, and each
frame's index underneath; tracking boxes are drawn on the frames.

Examples::

    python tools/visualize.py --config configs/pretrain/vcop.yaml --num-samples 4 --out vcop.png \\
        --json vcop.json
    python tools/visualize.py --config configs/pretrain/time_contrastive.yaml --data indexes/ucf101.jsonl \\
        --num-samples 6 --out tcn.png pretext.options.pos_radius=3
    python tools/visualize.py --config configs/pretrain/multiview_tcn.yaml --data synthetic/pretrain \\
        --out mv.png

``--data`` takes an index written by ``tools/build_index.py`` (``.jsonl``), a folder of multi-camera scenes
(``<scene>/cam0.mp4 ...``) or any folder of videos; without it the config's ``data:`` section is used, and the
embedded synthetic corpus is generated small (a few scenes, the config's sizes) for the preview.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from temporal_ssl.config import apply_overrides, from_dict, load_yaml
from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.config_files import config_argument
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.pipeline.dataset import pretext_name, short_video_remedy
from temporal_ssl.pipeline.decode import decode_views
from temporal_ssl.pipeline.records import DataConfig, load_records
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import SamplePlan, VideoRecord, ViewPlan

TILE_HEIGHT, LABEL_WIDTH, MAX_FRAMES_SHOWN, PREVIEW_SCENES = 72, 210, 16, 8
HEADER, CAPTION, GRID_COLUMNS = 18, 12, 8


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", required=True, type=config_argument("pretrain"),
                        help="a pretrain config: a YAML file or a packaged name such as vcop")
    parser.add_argument("--data", help="index .jsonl, folder of multi-camera scenes, or folder of videos")
    parser.add_argument("--num-samples", type=int, default=4, help="samples to draw")
    parser.add_argument("--out", required=True, help="PNG to write")
    parser.add_argument("--json", help="also write the plans as JSON here")
    parser.add_argument("--seed", type=int, default=0, help="random seed of the sampling")
    parser.add_argument(
        "--workers", type=int, help="processes probing videos not indexed yet (default: CPUs)"
    )
    parser.add_argument("overrides", nargs="*", help="dotted.key=value config overrides")
    args = parser.parse_args(argv)
    try:
        config = apply_overrides(load_yaml(args.config), args.overrides)
        block = config.get("pretext") or {}
        pretext = PRETEXTS.build(block.get("name", ""), block.get("options"), where="pretext.options")
        data = dataclasses.replace(
            data_config(args.data, config.get("data"), args.num_samples),
            **({} if args.workers is None else {"workers": args.workers}),
        )
        records = load_records(data, progress=False)
        plans, views = sample(pretext, records, args.num_samples, np.random.default_rng(args.seed))
    except TemporalSSLError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    render(plans, views).save(args.out)
    print(f"wrote {len(plans)} samples of '{block['name']}' to {args.out}")
    if args.json:
        Path(args.json).write_text(json.dumps([p.to_dict() for p in plans], indent=1))
        print(f"wrote the plans to {args.json}")
    return 0


def data_config(data: str | None, section: dict[str, object] | None, num_samples: int) -> DataConfig:
    """The corpus to preview: ``--data``, else the config's ``data:`` section (a small synthetic corpus)."""
    if data is not None:
        path = Path(data)
        if path.suffix == ".jsonl":
            return DataConfig(format="index", root=str(path), split=None)
        scenes = path.is_dir() and any(next(d.glob("cam0.*"), None) for d in path.iterdir() if d.is_dir())
        return DataConfig(format="multicamera" if scenes else "list", root=str(path), split=None)
    cfg = from_dict(DataConfig, section, where="data")
    if cfg.format == "synthetic":
        small = dataclasses.replace(
            cfg.synthetic,
            num_pretrain_scenes=max(num_samples, PREVIEW_SCENES),
            num_train_per_class=1,
            num_test_per_class=1,
        )
        cfg = dataclasses.replace(cfg, synthetic=small)
    return cfg


def sample(
    pretext: Pretext, records: list[VideoRecord], count: int, rng: np.random.Generator
) -> tuple[list[SamplePlan], list[list[np.ndarray]]]:
    """Plans of ``count`` random records (too-short videos are skipped) and their decoded views."""
    plans: list[SamplePlan] = []
    views: list[list[np.ndarray]] = []
    for _ in range(20 * count):
        if len(plans) == count:
            break
        record = records[int(rng.integers(0, len(records)))]
        try:
            plan = pretext.plan(record, rng)
        except ShortVideoError:
            continue
        meta = record.metadata
        scale = min(1.0, 160 / max(meta.height, meta.width))
        size = (
            None if scale == 1.0 else (max(1, round(meta.height * scale)), max(1, round(meta.width * scale)))
        )
        plans.append(plan)
        views.append([v.permute(0, 2, 3, 1).cpu().numpy() for v in decode_views(plan, size=size)])
    if not plans:
        shortest = min(records, key=lambda r: r.num_frames)
        raise ShortVideoError(
            shortest.num_frames,
            pretext.min_num_frames,
            f"pretext '{pretext_name(pretext)}' (no sampled video was long enough)",
            path=shortest.path,
            remedy=short_video_remedy(pretext),
        )
    return plans, views


def render(plans: list[SamplePlan], views: list[list[np.ndarray]]) -> Image.Image:
    """The samples' blocks stacked top to bottom on a white canvas."""
    blocks = [_sample_block(plan, frames) for plan, frames in zip(plans, views, strict=True)]
    canvas = Image.new("RGB", (max(b.width for b in blocks), sum(b.height for b in blocks)), "white")
    y = 0
    for block in blocks:
        canvas.paste(block, (0, y))
        y += block.height
    return canvas


def _sample_block(plan: SamplePlan, views: list[np.ndarray]) -> Image.Image:
    """A header (video, target), then each view: a row of frames with its label, or — when every view is a
    single frame — a grid of frames with the label under each."""
    path = Path(plan.record.path)
    title = f"{path.parent.name}/{path.name}   target = {plan.target}"
    single = all(len(frames) == 1 for frames in views)
    tiles = [
        [_tile(frames[i], view, i, plan) for i in _shown(len(frames))]
        for view, frames in zip(plan.views, views, strict=True)
    ]
    if single:
        width = max(t[0].width for t in tiles) + 8
        cells = [(i % GRID_COLUMNS * max(width, 110), i // GRID_COLUMNS) for i in range(len(tiles))]
        size = (GRID_COLUMNS * max(width, 110), HEADER + (cells[-1][1] + 1) * (TILE_HEIGHT + 2 * CAPTION + 6))
    else:
        size = (
            LABEL_WIDTH + max(sum(t.width + 2 for t in row) for row in tiles),
            HEADER + len(tiles) * (TILE_HEIGHT + CAPTION + 4),
        )
    block = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(block)
    draw.text((4, 3), title, fill="black")
    for number, (view, row) in enumerate(zip(plan.views, tiles, strict=True)):
        label = [view.role] + ([] if view.order is None else [f"order {view.order}"])
        details = [f"instance {view.instance}"] + ([f"camera {view.camera}"] if plan.record.cameras else [])
        if single:
            x, line = cells[number]
            y = HEADER + line * (TILE_HEIGHT + 2 * CAPTION + 6)
            block.paste(row[0], (x, y))
            draw.text((x, y + TILE_HEIGHT + 1), f"{' '.join(label)}  #{view.frame_indices[0]}", fill="navy")
            draw.text((x, y + TILE_HEIGHT + CAPTION + 1), " ".join(details), fill="navy")
            continue
        y = HEADER + number * (TILE_HEIGHT + CAPTION + 4)
        draw.text((4, y + 4), "  ".join(label + details), fill="navy")
        x = LABEL_WIDTH
        for position, tile in zip(_shown(len(view.frame_indices)), row, strict=True):
            block.paste(tile, (x, y))
            draw.text((x + 2, y + TILE_HEIGHT + 1), str(view.frame_indices[position]), fill="black")
            x += tile.width + 2
    return block


def _shown(num_frames: int) -> np.ndarray:
    """Which frames of a view are drawn: all, or ``MAX_FRAMES_SHOWN`` evenly spread ones."""
    return np.linspace(0, num_frames - 1, min(num_frames, MAX_FRAMES_SHOWN)).round().astype(int)


def _tile(frame: np.ndarray, view: ViewPlan, position: int, plan: SamplePlan) -> Image.Image:
    """A frame scaled to the tile height, with its box (given in full-size source pixels) drawn on."""
    height, width = frame.shape[:2]
    scale = TILE_HEIGHT / height
    size = (max(1, round(width * scale)), TILE_HEIGHT)
    tile = Image.fromarray(frame).resize(size, Image.Resampling.NEAREST)
    if view.boxes is not None:
        source = plan.record.camera(view.camera).metadata
        sx, sy = tile.width / source.width, TILE_HEIGHT / source.height
        x0, y0, x1, y1 = view.boxes[position]
        ImageDraw.Draw(tile).rectangle((x0 * sx, y0 * sy, x1 * sx, y1 * sy), outline="red")
    return tile

