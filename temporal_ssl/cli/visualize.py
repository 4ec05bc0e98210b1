"""See what a pretext feeds its model: a PNG of every sample's frames and views, and the samples as JSON.

Each sample is a block headed by its video and target. First the frames the plan decodes, with each view's
role, position in time (``order``) and instance id; for tracking, the boxes on every frame (mined on the fly:
each track's boxes over the window, one colour per track). Then the views exactly as the pretext hands them
to the model — OPN's channel-split and jittered frames, VCOP's joined clips, the tracking patches and their
reversed negatives — each with its role and instance id: views with one id are positives, every other view
of the batch is a negative. The JSON lists each sample's planned ``views`` and its ``model_views`` (frames
and, for tracking, a box on every frame); for tracking mined on the fly, ``views`` are the mined patch views
and ``window`` holds the decoded window with every track.

Examples::

    tssl visualize --config vcop --num-samples 4 --out vcop.png --json vcop.json
    tssl visualize --config tracking --num-samples 2 --out tracking.png --json tracking.json
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
from collections.abc import Sequence
from pathlib import Path

import numpy as np

import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from temporal_ssl.cli.failure import report_failure
from temporal_ssl.cli.pair_grid import FedSample, feed, render
from temporal_ssl.config import apply_overrides, from_dict, load_yaml
from temporal_ssl.config_files import config_argument
from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.errors import TemporalSSLError
from temporal_ssl.pipeline.dataset import pretext_name, short_video_remedy
from temporal_ssl.pipeline.decode import decode_views
from temporal_ssl.pipeline.records import DataConfig, load_records
from temporal_ssl.pretext.base import Pretext
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import VideoRecord

PREVIEW_SCENES = 8


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
        samples = sample(pretext, records, args.num_samples, np.random.default_rng(args.seed))
    except TemporalSSLError as error:
        return report_failure(error)
    render(samples).save(args.out)
    print(f"wrote {len(samples)} samples of '{block['name']}' to {args.out}")
    if args.json:
        Path(args.json).write_text(json.dumps([s.to_dict() for s in samples], indent=1))
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


def sample(pretext: Pretext, records: Sequence[VideoRecord], count: int,
           rng: np.random.Generator) -> list[FedSample]:
    """``count`` random records (too-short videos are skipped): plan, decode, and the example views."""
    samples: list[FedSample] = []
    for _ in range(20 * count):
        if len(samples) == count:
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
        samples.append(feed(pretext, plan, decode_views(plan, size=size), rng))
    if not samples:
        shortest = min(records, key=lambda r: r.num_frames)
        raise ShortVideoError(
            shortest.num_frames,
            pretext.min_num_frames,
            f"pretext '{pretext_name(pretext)}' (no sampled video was long enough)",
            path=shortest.path,
            remedy=short_video_remedy(pretext),
        )
    return samples
