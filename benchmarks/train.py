"""Training throughput (clips/s) and data-wait fraction for R3D-18, R(2+1)D-18 and a ViT-S at 16x112x112.

``synthetic`` input times the model alone on random tensors already on the device (the baseline); ``loader``
input times the same step fed by a pretraining config's loader over a folder of videos, so the ratio between
the two is the cost of the input pipeline. Each row is the median over the timed steps after warm-up
(spread = max - min). The loader reads ``--videos DIR`` (default: a generated Kinetics-like set) through the
``cvrl`` config at 16 frames of stride 2, decoded at short side ``--decode-size`` and cropped to ``--size``;
``--config`` and ``key=value`` overrides change that, ``--data`` reads a dataset config instead of a folder.

CPU, model and loader side by side (small batch, few steps)::

    python -m benchmarks.train --device cpu --batch-size 2 --steps 3 --warmup-steps 1

The main job's loader and model on the CPU, with torch's default thread count and with the cores the loader's
workers leave free (what training uses), and the ratio between the two::

    python -m benchmarks.train --device cpu --input loader --config default --data synthetic \\
        --encoders r3d_tiny --batch-size 32 --steps 40 --compare-threads

One GPU, AMP on, batches that fill the card, GPU decoding for the loader::

    python -m benchmarks.train --videos /data/kinetics/val --device cuda --batch-size 64 --steps 20 \\
        loader.device=cuda loader.num_workers=1
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from benchmarks.train_runner import format_table, run_benchmark
from benchmarks.videos import add_video_arguments, video_folder
from temporal_ssl.config_files import config_argument, packaged_configs
from temporal_ssl.engine.distributed import resolve_device

DEFAULT_CONFIG = packaged_configs() / "pretrain" / "cvrl.yaml"


def folder_overrides(folder: Path, *, frames: int, size: int, decode_size: int,
                     default_config: bool) -> list[str]:
    """Overrides that point a pretraining config at a plain folder of videos at real-footage sizes."""
    overrides = ["data.format=list", f"data.root={json.dumps(str(folder))}", "data.split=null",
                 "data.verify_backends=null",
                 f"augment.output_size={size}", f"loader.decode_size={decode_size}"]
    if default_config:  # the cvrl config's clip, at CVRL's own 16 frames of stride 2
        overrides += [f"pretext.options.num_frames_per_clip={frames}", "pretext.options.frame_stride=2"]
    return overrides


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "overrides", nargs="*", metavar="key=value", help="overrides of --config (loader input)"
    )
    add_video_arguments(parser)
    parser.add_argument("--encoders", nargs="+", default=["r3d_18", "r2plus1d_18", "video_vit_s"])
    parser.add_argument("--input", choices=["synthetic", "loader", "both"], default="both")
    parser.add_argument("--config", type=config_argument("pretrain"), default=DEFAULT_CONFIG,
                        help="pretraining config whose loader feeds the 'loader' input (default: cvrl)")
    parser.add_argument("--data", type=config_argument("data"),
                        help="read this dataset config (e.g. ucf101) instead of a folder of videos")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--batch-size", type=int, help="clips per step (default: 2 on CPU, 64 on a GPU)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--amp", choices=["auto", "off", "bf16", "fp16"], default="auto")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--decode-size", type=int, default=128, help="short side the loader decodes at")
    parser.add_argument("--compare-threads", action="store_true",
                        help="loader input: also run with torch's default thread count and print the ratio")
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    args = parser.parse_intermixed_args(argv)
    device = resolve_device(args.device)
    batch_size = args.batch_size or (64 if device.type == "cuda" else 2)
    torch.set_float32_matmul_precision("high")
    inputs = ["synthetic", "loader"] if args.input == "both" else [args.input]
    overrides = list(args.overrides)
    if "loader" in inputs and args.data is None:
        overrides = [*folder_overrides(video_folder(args), frames=args.frames, size=args.size,
                                       decode_size=args.decode_size,
                                       default_config=args.config == DEFAULT_CONFIG), *overrides]
    results = run_benchmark(
        args.encoders,
        inputs=inputs,
        device=device,
        batch_size=batch_size,
        steps=args.steps,
        warmup_steps=args.warmup_steps,
        amp=args.amp,
        frames=args.frames,
        size=args.size,
        config_path=str(args.config),
        overrides=overrides,
        data_path=None if args.data is None else str(args.data),
        compare_threads=args.compare_threads,
    )
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU, {torch.get_num_threads()} threads"
    )
    print(f"training throughput on {name} (torch {torch.__version__}); preliminary if the machine was busy\n")
    print(format_table(results))
    for encoder in args.encoders:
        loader_rows = [r for r in results if r.encoder == encoder and r.input == "loader"]
        if len(loader_rows) == 2:  # --compare-threads: torch's default count first, then beside the workers
            default, beside = loader_rows
            ratio = beside.clips_per_second / default.clips_per_second
            print(f"\n{encoder}: {beside.threads} torch thread(s) beside the loader's workers vs torch's "
                  f"default {default.threads}: {ratio:.2f}x clips/s")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
        print(f"\nrows written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
