"""A few minutes of evidence on one GPU: every pretraining config trains with AMP, NVDEC decodes the
frames the CPU decodes, and the share of an R(2+1)D-18 step spent waiting for data.

1. **Training**: every config in ``configs/pretrain/`` trains for ``--steps`` steps on CUDA with AMP (bf16
   where the GPU supports it) at ``--batch-size`` samples per GPU, on a small synthetic corpus (``--scenes``
   scenes, generated once), each run into a temporary folder; one line per config: steps done, final loss,
   clips/s, data-wait fraction and peak GPU memory, or the error.
2. **NVDEC**: on every video of ``--videos`` (default: a generated Kinetics-like set), torchcodec's CUDA
   decoder and temporal_ssl's reader on CUDA decode the same frames as temporal_ssl's CPU reader; one line per
   file and decoder: frames whose closest CPU frame is the one asked for, max and mean absolute pixel
   difference.
3. **Data wait**: R(2+1)D-18 at 16x112x112 and ``--batch-size`` samples per step, fed by the ``cvrl``
   config's loader over the same videos, with CPU worker processes and with NVDEC decoding, beside the model
   alone on tensors already on the GPU (the baseline of the ratio).

Without a GPU it exits with a message saying so.

Examples::

    python -m benchmarks.gpu
    python -m benchmarks.gpu --videos /data/kinetics/val --batch-size 64 --workers 12
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from benchmarks.nvdec_check import Decode, check_decoders
from benchmarks.nvdec_check import markdown_table as nvdec_table
from benchmarks.train import DEFAULT_CONFIG, folder_overrides
from benchmarks.train_runner import format_table, run_benchmark
from benchmarks.videos import add_video_arguments, video_files, video_folder
from temporal_ssl.config_files import packaged_configs
from temporal_ssl.cpus import usable_cpus
from temporal_ssl.engine.step import resolve_amp

PRETRAIN_CONFIGS = packaged_configs() / "pretrain"


def require_cuda() -> torch.device:
    """The GPU, or exit with a message that says why there is none."""
    if not torch.cuda.is_available():
        build = f"built with CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise SystemExit(f"benchmarks.gpu needs an NVIDIA GPU, but torch.cuda.is_available() is False "
                         f"(torch {torch.__version__}, {build}). Run it on a machine with a GPU and a "
                         "working driver.")
    return torch.device("cuda")


@dataclass
class TrainCheck:
    """One pretraining config's short run on the GPU."""

    config: str
    steps: int = 0
    loss: float | None = None
    clips_per_second: float | None = None
    data_wait_fraction: float | None = None
    peak_memory_mib: float = 0.0
    seconds: float = 0.0
    error: str | None = None


def train_overrides(steps: int, batch_size: int, scenes: int, output_dir: Path) -> list[str]:
    """What turns a shipped pretraining config into a short AMP run on the GPU."""
    return [f"train.max_steps={steps}", "train.device=cuda", "train.amp=auto",
            f"loader.batch_size={batch_size}", f"train.log_every_steps={max(1, steps // 2)}",
            f"train.checkpoint_every_steps={steps}", f"train.output_dir={json.dumps(str(output_dir))}",
            f"data.synthetic.num_pretrain_scenes={scenes}", "data.synthetic.num_train_per_class=1",
            "data.synthetic.num_test_per_class=1"]


def train_each_config(configs: list[Path], *, steps: int, batch_size: int, scenes: int,
                      extra: list[str], folder: Path) -> list[TrainCheck]:
    """Pretrain every config for ``steps`` steps on the GPU; a failure is recorded and the next one runs."""
    from temporal_ssl.engine.pretrain import pretrain
    from temporal_ssl.engine.pretrain_config import load_pretrain_config

    checks = []
    for path in configs:
        check = TrainCheck(path.stem)
        print(f"== {path.stem}", flush=True)
        torch.cuda.reset_peak_memory_stats()
        started = time.perf_counter()
        try:
            overrides = [*train_overrides(steps, batch_size, scenes, folder / path.stem), *extra]
            result = pretrain(load_pretrain_config(path, overrides))
        except Exception as error:  # every config is tried; the table says which failed and why
            check.error = f"{type(error).__name__}: {str(error)[:200]}"
        else:
            check.steps = result.step
            check.loss = result.metrics.get("loss")
            check.clips_per_second = result.metrics.get("clips_per_second")
            check.data_wait_fraction = result.metrics.get("data_wait_fraction")
        check.seconds = time.perf_counter() - started
        check.peak_memory_mib = torch.cuda.max_memory_allocated() / 2**20
        checks.append(check)
    return checks


def training_table(checks: list[TrainCheck], steps: int) -> str:
    """One line per config."""
    def number(value: float | None, form: str) -> str:
        return "-" if value is None else format(value, form)

    lines = [f"| config | steps (of {steps}) | final loss | clips/s | data wait | peak GPU MiB | seconds | "
             "error |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {c.config} | {c.steps} | {number(c.loss, '.4g')} | {number(c.clips_per_second, '.0f')} | "
              f"{number(None if c.data_wait_fraction is None else 100 * c.data_wait_fraction, '.1f')}% | "
              f"{c.peak_memory_mib:.0f} | {c.seconds:.0f} | {c.error or ''} |" for c in checks]
    return "\n".join(lines)


def nvdec_decoders(device: torch.device) -> dict[str, Decode]:
    """torchcodec's CUDA decoder used directly, and temporal_ssl's reader on CUDA."""
    try:
        from torchcodec.decoders import VideoDecoder
    except ImportError as error:
        raise SystemExit(f"the NVDEC check needs torchcodec ({error}): pip install -e '.[torchcodec]', or "
                         "leave the check out with --skip nvdec") from None

    from temporal_ssl.io import open_video

    def raw(path: Path, indices: list[int]) -> torch.Tensor:
        return VideoDecoder(str(path), device=str(device), seek_mode="exact").get_frames_at(indices).data

    def ours(path: Path, indices: list[int]) -> torch.Tensor:
        with open_video(path, device=str(device)) as reader:
            return reader.get_frames(indices)

    return {"torchcodec cuda": raw, "temporal_ssl cuda": ours}


def data_wait(folder: Path, device: torch.device, *, batch_size: int, steps: int, workers: int) -> str:
    """R(2+1)D-18 fed by CPU workers and by NVDEC, beside the model alone: the training benchmark's table."""
    base = folder_overrides(folder, frames=16, size=112, decode_size=128, default_config=True)
    common = dict(device=device, batch_size=batch_size, steps=steps, warmup_steps=3, amp="auto",
                  config_path=str(DEFAULT_CONFIG))
    rows = run_benchmark(["r2plus1d_18"], inputs=["synthetic", "loader"],
                         overrides=[*base, f"loader.num_workers={workers}"], **common)
    rows += run_benchmark(["r2plus1d_18"], inputs=["loader"],
                          overrides=[*base, "loader.device=cuda", "loader.num_workers=1"], **common)
    return (format_table(rows) + "\n\nThe first loader row decodes in CPU worker processes, the second with "
            "NVDEC in the training process (a background thread).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_video_arguments(parser)
    parser.add_argument("overrides", nargs="*", metavar="key=value", help="extra overrides for every config")
    parser.add_argument("--batch-size", type=int, default=64, help="samples per GPU per step (default 64)")
    parser.add_argument("--steps", type=int, default=20, help="training steps per config (default 20)")
    parser.add_argument("--scenes", type=int, default=256, help="synthetic scenes to train on (default 256)")
    parser.add_argument("--configs", nargs="+", default=None, metavar="NAME",
                        help="pretraining configs to run (default: every one in configs/pretrain)")
    parser.add_argument("--frames", type=int, default=24, help="frames compared per video (default 24)")
    parser.add_argument("--workers", type=int, default=None,
                        help="loader worker processes for the data-wait check (default: CPUs - 2)")
    parser.add_argument("--skip", nargs="+", choices=["train", "nvdec", "data-wait"], default=[],
                        help="parts to leave out")
    args = parser.parse_intermixed_args(argv)
    device = require_cuda()
    decoders = nvdec_decoders(device) if "nvdec" not in args.skip else {}  # a missing torchcodec fails first
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    print(f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}, CUDA {torch.version.cuda}, "
          f"AMP {resolve_amp('auto', device)}\n", flush=True)
    videos = video_folder(args)
    failed = False
    if "train" not in args.skip:
        names = args.configs or sorted(p.stem for p in PRETRAIN_CONFIGS.glob("*.yaml"))
        with tempfile.TemporaryDirectory(prefix="tssl_gpu_") as folder:
            configs = [PRETRAIN_CONFIGS / f"{name}.yaml" for name in names]
            checks = train_each_config(configs, steps=args.steps, batch_size=args.batch_size,
                                       scenes=max(args.scenes, 2 * args.batch_size), extra=args.overrides,
                                       folder=Path(folder))
        print(f"\n## Training, {args.steps} steps with AMP, batch {args.batch_size} per GPU\n")
        print(training_table(checks, args.steps), flush=True)
        failed |= any(c.error or c.steps < args.steps for c in checks)
    if decoders:
        results = [check for path in video_files(videos)
                   for check in check_decoders(path, decoders, count=args.frames)]
        print("\n## NVDEC against the CPU reader (same frames)\n")
        print(nvdec_table(results), flush=True)
        failed |= any(c.error or c.mismatches for c in results if c.decoder == "temporal_ssl cuda")
    if "data-wait" not in args.skip:
        workers = args.workers if args.workers is not None else max(1, usable_cpus() - 2)
        print(f"\n## Data wait, R(2+1)D-18 at 16x112x112, batch {args.batch_size}\n")
        print(data_wait(videos, device, batch_size=args.batch_size, steps=max(5, args.steps // 2),
                        workers=workers), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
