"""Exact resume: N steps, stop, resume, M steps gives bit-identical weights to N+M steps straight (CPU).

The first segment is stopped the way a cluster or a user stops a job — SIGTERM or SIGINT (Ctrl-C) in the
middle of a step — so the test also covers the signal path. The model has dropout (the torch RNG must be
restored), the loader shuffles and seeds every sample (its position must be restored), the optimizer is
AdamW with warm-up (its moments and the schedule position must be restored); the MoCo variant adds a momentum
encoder and a queue held by the loss.
"""

from __future__ import annotations

import re
import signal
from pathlib import Path
from typing import Any

import pytest
import torch

from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, list_checkpoints, load_checkpoint
from temporal_ssl.engine.distributed import DistributedContext
from temporal_ssl.engine.metrics_log import read_metrics
from temporal_ssl.engine.optim import OptimConfig
from temporal_ssl.engine.run import run_training
from temporal_ssl.engine.step import NonFiniteLossError
from temporal_ssl.engine.train_config import TrainConfig
from temporal_ssl.errors import CheckpointError
from temporal_ssl.losses.cross_entropy import CrossEntropyLoss
from temporal_ssl.losses.info_nce import InfoNCELoss

from .toy import toy_loader, toy_model

CPU_CTX = DistributedContext(rank=0, world_size=1, local_rank=0, device=torch.device("cpu"))
TOTAL = 10


def _train(
    out: Path,
    *,
    init_seed: int,
    num_workers: int,
    moco: bool,
    stop_at: int | None = None,
    stop_signal: int = signal.SIGTERM,
    resume: Path | None = None,
    config: dict[str, Any] | None = None,
) -> tuple[torch.nn.Module, Any, Any]:
    torch.manual_seed(init_seed)
    model = toy_model(dropout=0.3, momentum=0.9 if moco else None)
    loss: Any = InfoNCELoss(temperature=0.2, queue_size=12) if moco else CrossEntropyLoss()
    calls = []

    def stop_hook(module: torch.nn.Module, args: Any) -> None:
        calls.append(1)  # one forward per step (no accumulation): the step index is len(calls) - 1
        if len(calls) - 1 == stop_at:
            signal.raise_signal(stop_signal)  # arrives mid-step; the loop must finish the step and save

    model.register_forward_pre_hook(stop_hook)
    result = run_training(
        model=model,
        loss_fn=loss,
        ctx=CPU_CTX,
        loader=toy_loader(batch_size=4, num_workers=num_workers, two_views=moco),
        train=TrainConfig(
            max_steps=TOTAL,
            checkpoint_every_steps=3,
            log_every_steps=1,
            progress_bar=False,
            device="cpu",
            seed=5,
        ),
        optim=OptimConfig(name="adamw", lr=3e-3, warmup_steps=3, weight_decay=0.01),
        config=config or {"model": {"moco": moco}},
        output_dir=out,
        resume_from=resume,
    )
    return model, loss, result


@pytest.mark.parametrize(
    ("num_workers", "moco", "stop_signal"),
    [(0, False, signal.SIGTERM), (2, False, signal.SIGINT), (0, True, signal.SIGTERM)],
)
def test_stop_and_resume_is_bit_exact(tmp_path: Path, num_workers: int, moco: bool, stop_signal: int) -> None:
    straight, straight_loss, straight_result = _train(
        tmp_path / "straight", init_seed=1, num_workers=num_workers, moco=moco
    )
    assert straight_result.completed and straight_result.step == TOTAL

    _, _, first = _train(
        tmp_path / "split",
        init_seed=1,
        num_workers=num_workers,
        moco=moco,
        stop_at=3,
        stop_signal=stop_signal,
    )
    assert first.stopped_by_signal == stop_signal and first.step == 4  # step index 3 finished, then saved
    assert first.checkpoint == tmp_path / "split" / CHECKPOINT_DIRNAME / "step_00000004.pt"

    # A fresh model with other initial weights: everything must come from the checkpoint.
    resumed, resumed_loss, second = _train(
        tmp_path / "split", init_seed=99, num_workers=num_workers, moco=moco, resume=first.checkpoint
    )
    assert second.completed and second.step == TOTAL
    for key, value in straight.state_dict().items():
        assert torch.equal(resumed.state_dict()[key], value), key
    if moco:  # the queue lives in the loss: restored and advanced identically
        assert torch.equal(resumed_loss.queue.keys, straight_loss.queue.keys)
    # the loss curve of the resumed run continues the straight run's exactly, with no duplicated steps
    straight_log = read_metrics(tmp_path / "straight" / "metrics.jsonl")
    split_log = read_metrics(tmp_path / "split" / "metrics.jsonl")
    assert [r["step"] for r in split_log] == list(range(1, TOTAL + 1))
    assert [r["loss"] for r in split_log] == [r["loss"] for r in straight_log]


def test_resume_refuses_a_checkpoint_of_another_model_config(tmp_path: Path) -> None:
    _, _, first = _train(
        tmp_path, init_seed=1, num_workers=0, moco=False, stop_at=1, config={"model": {"encoder": "a"}}
    )
    message = (
        f"cannot resume from '{first.checkpoint}': 'model.encoder' is 'b' now but was 'a' in the checkpoint"
    )
    with pytest.raises(CheckpointError, match=re.escape(message)):
        _train(
            tmp_path,
            init_seed=1,
            num_workers=0,
            moco=False,
            resume=first.checkpoint,
            config={"model": {"encoder": "b"}},
        )


def test_non_finite_loss_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = toy_model()
    loss = CrossEntropyLoss()

    def diverging(output: Any, batch: Any, step: int) -> Any:
        out = loss(output, batch, step)
        if step == 4:
            out.loss = out.loss * float("inf")
        return out

    train = TrainConfig(
        max_steps=TOTAL, checkpoint_every_steps=2, log_every_steps=1, progress_bar=False, device="cpu"
    )
    good = tmp_path / CHECKPOINT_DIRNAME / "step_00000004.pt"
    expected = ("the loss became inf at step 4 (loss=", f"the last good checkpoint is '{good}'")
    with pytest.raises(NonFiniteLossError) as raised:
        run_training(
            model=model,
            loss_fn=diverging,
            loader=toy_loader(),
            ctx=CPU_CTX,
            train=train,
            optim=OptimConfig(lr=1e-3),
            config={},
            output_dir=tmp_path,
        )
    assert all(part in str(raised.value) for part in expected), str(raised.value)
    assert [s for s, _ in list_checkpoints(tmp_path / CHECKPOINT_DIRNAME)] == [2, 4]
    saved = load_checkpoint(good)["model"]
    for key, value in model.state_dict().items():  # the diverged step never reached the weights
        assert torch.equal(saved[key], value), key
        assert torch.isfinite(value).all()


@pytest.mark.slow
def test_compiled_training_matches_eager_and_saves_plain_weights(tmp_path: Path) -> None:
    weights = []
    for compiled in (False, True):
        torch.manual_seed(0)
        model = toy_model()
        train = TrainConfig(
            max_steps=3, compile=compiled, grad_accum_steps=2, progress_bar=False, device="cpu"
        )
        result = run_training(
            model=model,
            loss_fn=CrossEntropyLoss(),
            loader=toy_loader(),
            ctx=CPU_CTX,
            train=train,
            optim=OptimConfig(lr=1e-3),
            config={},
            output_dir=tmp_path / str(compiled),
        )
        saved = load_checkpoint(result.checkpoint)["model"]
        assert list(saved) == list(model.state_dict())  # no torch.compile / DDP prefixes in the checkpoint
        weights.append(saved)
    for key, value in weights[0].items():
        torch.testing.assert_close(weights[1][key], value, rtol=1e-4, atol=1e-6)
