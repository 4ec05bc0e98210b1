"""Training throughput (clips/s) and data-wait fraction for R3D-18, R(2+1)D-18 and a ViT-S at 16x112x112.

``synthetic`` input times the model alone on random tensors already on the device; ``loader`` input times the
same step fed by a real pretraining config's loader, so the ratio between the two is the cost of the input
pipeline. Each row is the median over the timed steps after warm-up (spread = max - min).

CPU, model throughput only (small batch, few steps)::

    python tools/benchmark_train.py --device cpu --batch-size 2 --steps 3 --warmup-steps 1

CPU, model and real loader side by side (the config decides the clip geometry: 16 frames, 112 px crops)::

    python tools/benchmark_train.py --device cpu --batch-size 2 --steps 3 --input both \\
        --config configs/pretrain/cvrl.yaml loader.num_workers=2

The main job's loader and model on the CPU, with torch's default thread count and with the cores the loader's
workers leave free (what training uses), and the ratio between the two::

    python tools/benchmark_train.py --device cpu --input loader --config configs/pretrain/default.yaml \\
        --encoders r3d_tiny --batch-size 32 --steps 40 --compare-threads

One GPU, AMP on, batches that fill the card, GPU decoding for the loader::

    python tools/benchmark_train.py --device cuda --batch-size 64 --steps 20 --input both \\
        --config configs/pretrain/cvrl.yaml loader.device=cuda loader.num_workers=1
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

import torch

from temporal_ssl.engine.benchmark import format_table, run_benchmark
from temporal_ssl.engine.distributed import resolve_device


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "overrides", nargs="*", metavar="key=value", help="overrides of --config (loader input)"
    )
    parser.add_argument("--encoders", nargs="+", default=["r3d_18", "r2plus1d_18", "video_vit_s"])
    parser.add_argument("--input", choices=["synthetic", "loader", "both"], default="synthetic")
    parser.add_argument("--config", help="pretraining config whose loader feeds the 'loader' input")
    parser.add_argument("--data", help="replace the config's data: section (e.g. configs/data/ucf101.yaml)")
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--batch-size", type=int, help="clips per step (default: 2 on CPU, 64 on a GPU)")
    parser.add_argument("--steps", type=int, default=5, help="timed steps")
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--amp", choices=["auto", "off", "bf16", "fp16"], default="auto")
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--compare-threads", action="store_true",
                        help="loader input: also run with torch's default thread count and print the ratio")
    parser.add_argument("--out", type=Path, help="also write the rows as JSON here")
    args = parser.parse_args(argv)
    if args.input != "synthetic" and args.config is None:
        parser.error("--input loader/both needs --config (a pretraining config)")
    device = resolve_device(args.device)
    batch_size = args.batch_size or (64 if device.type == "cuda" else 2)
    torch.set_float32_matmul_precision("high")
    inputs = ["synthetic", "loader"] if args.input == "both" else [args.input]
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
        config_path=args.config,
        overrides=args.overrides,
        data_path=args.data,
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
