"""A training process for the engine's multi-process tests (DDP under torchrun, SIGTERM/SIGINT handling).

Run as a script (``python -m torch.distributed.run --nproc_per_node 2 train_worker.py --out DIR`` or plainly);
it trains the toy model of ``toy.py`` through ``temporal_ssl.engine.run.run_training`` and writes, for each
rank, ``rank<r>.pt`` with the final weights and the video indices of every batch it trained on.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))

from toy import toy_loader, toy_model  # noqa: E402

from temporal_ssl.engine.distributed import init_distributed, shutdown_distributed  # noqa: E402
from temporal_ssl.engine.optim import OptimConfig  # noqa: E402
from temporal_ssl.engine.run import run_training  # noqa: E402
from temporal_ssl.engine.train_config import TrainConfig  # noqa: E402
from temporal_ssl.losses.cross_entropy import CrossEntropyLoss  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--max-steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--checkpoint-every", type=int, default=1000)
    parser.add_argument("--per-rank-dirs", action="store_true", help="give each rank its own output folder")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ctx = init_distributed("cpu")
    seen: list[list[int]] = []
    loss = CrossEntropyLoss()

    def recording_loss(output, batch, step):  # type: ignore[no-untyped-def]
        seen.append(batch.video_indices.tolist())
        return loss(output, batch, step)

    torch.manual_seed(0)
    model = toy_model()
    out = args.out / f"rank{ctx.rank}" if args.per_rank_dirs else args.out
    result = run_training(
        model=model,
        loss_fn=recording_loss,
        ctx=ctx,
        loader=toy_loader(batch_size=args.batch_size, rank=ctx.rank, world_size=ctx.world_size),
        train=TrainConfig(
            max_steps=args.max_steps,
            checkpoint_every_steps=args.checkpoint_every,
            device="cpu",
            log_every_steps=1,
            progress_bar=False,
            amp="off",
        ),
        optim=OptimConfig(name="sgd", lr=0.05, weight_decay=0.0),
        config={"test": "ddp"},
        output_dir=out,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save(
        {"state": model.state_dict(), "seen": seen, "step": result.step},
        args.out / f"result_rank{ctx.rank}.pt",
    )
    shutdown_distributed()
    sys.exit(result.stopped_by_signal and 128 + result.stopped_by_signal or 0)


if __name__ == "__main__":
    main()
