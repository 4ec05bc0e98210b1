"""The optimizer step: accumulation equals a big batch, clipping, AMP settings, non-finite detection."""

from __future__ import annotations

import copy
import re

import pytest
import torch

from temporal_ssl.engine.optim import OptimConfig, build_optimizer
from temporal_ssl.engine.step import accumulate_gradients, apply_gradients, build_grad_scaler, resolve_amp
from temporal_ssl.errors import ConfigError
from temporal_ssl.losses.cross_entropy import CrossEntropyLoss
from temporal_ssl.pipeline.collate import collate_examples
from temporal_ssl.pipeline.video_sampler import SampleKey
from temporal_ssl.types import Batch, LossOutput

from .toy import ToyDataset, toy_model

CPU = torch.device("cpu")


def _batch(positions: range) -> Batch:
    dataset = ToyDataset()
    return collate_examples([dataset[SampleKey(p % 48, 0, p)] for p in positions])


def _grads(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.grad.clone() for p in model.parameters() if p.grad is not None]


def test_two_micro_batches_of_4_equal_one_batch_of_8() -> None:
    torch.manual_seed(0)
    model_a = toy_model()
    model_b = copy.deepcopy(model_a)
    loss = CrossEntropyLoss()
    scaler = build_grad_scaler(None, CPU)
    whole = accumulate_gradients(
        model_a, loss, [_batch(range(8))], step=0, device=CPU, amp_dtype=None, scaler=scaler
    )
    parts = accumulate_gradients(
        model_b,
        loss,
        [_batch(range(4)), _batch(range(4, 8))],
        step=0,
        device=CPU,
        amp_dtype=None,
        scaler=scaler,
    )
    assert parts.loss == pytest.approx(whole.loss, rel=1e-6)
    for ga, gb in zip(_grads(model_a), _grads(model_b), strict=True):
        torch.testing.assert_close(gb, ga, rtol=1e-5, atol=1e-7)
    # and the update that follows is the same
    opt_a = build_optimizer([model_a], OptimConfig(name="sgd", lr=0.1, weight_decay=0.0))
    opt_b = build_optimizer([model_b], OptimConfig(name="sgd", lr=0.1, weight_decay=0.0))
    apply_gradients(opt_a, scaler, model_a.parameters(), clip_grad_norm=None)
    apply_gradients(opt_b, scaler, model_b.parameters(), clip_grad_norm=None)
    for pa, pb in zip(model_a.parameters(), model_b.parameters(), strict=True):
        torch.testing.assert_close(pb, pa, rtol=1e-5, atol=1e-7)


def test_clipping_reports_the_norm_before_clipping_and_bounds_the_update() -> None:
    torch.manual_seed(0)
    model = toy_model()
    accumulate_gradients(
        model,
        CrossEntropyLoss(),
        [_batch(range(8))],
        step=0,
        device=CPU,
        amp_dtype=None,
        scaler=build_grad_scaler(None, CPU),
    )
    grads = _grads(model)
    expected_norm = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
    before = [p.detach().clone() for p in model.parameters()]
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    max_norm = expected_norm / 10
    norm, skipped = apply_gradients(
        optimizer, build_grad_scaler(None, CPU), list(model.parameters()), clip_grad_norm=max_norm
    )
    assert norm == pytest.approx(expected_norm, rel=1e-5) and not skipped
    step_norm = float(
        torch.sqrt(
            sum(
                ((a - p.detach()).double() ** 2).sum()
                for a, p in zip(before, model.parameters(), strict=False)
            )
        )
    )
    assert step_norm == pytest.approx(max_norm, rel=1e-3)  # lr 1: the update is the clipped gradient
    assert all(p.grad is None for p in model.parameters())  # zeroed for the next step


def test_non_finite_loss_is_reported_not_hidden() -> None:
    model = toy_model()

    def nan_loss(output: object, batch: Batch, step: int) -> LossOutput:
        return LossOutput(model.head.fc.weight.sum() * float("nan"), {})

    result = accumulate_gradients(
        model,
        nan_loss,
        [_batch(range(4))],
        step=3,
        device=CPU,
        amp_dtype=None,
        scaler=build_grad_scaler(None, CPU),
    )
    assert not result.finite


def test_bf16_autocast_on_cpu_runs_and_returns_a_float_loss() -> None:
    torch.manual_seed(0)
    model = toy_model()
    dtype = resolve_amp("bf16", CPU)
    assert dtype is torch.bfloat16
    result = accumulate_gradients(
        model,
        CrossEntropyLoss(),
        [_batch(range(4))],
        step=0,
        device=CPU,
        amp_dtype=dtype,
        scaler=build_grad_scaler(dtype, CPU),
    )
    assert result.finite and result.loss > 0
    assert all(p.grad is not None and p.grad.dtype == torch.float32 for p in model.parameters())


def test_amp_resolution() -> None:
    assert resolve_amp("auto", CPU) is None
    assert resolve_amp("off", CPU) is None
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "train.amp = 'fp16' needs a CUDA device, but the run is on "
            "'cpu'; use train.amp=bf16 or train.amp=off on the CPU"
        ),
    ):
        resolve_amp("fp16", CPU)
    assert not build_grad_scaler(torch.bfloat16, CPU).is_enabled()


@pytest.mark.cuda
def test_fp16_on_cuda_uses_an_active_grad_scaler() -> None:
    device = torch.device("cuda")
    dtype = resolve_amp("fp16", device)
    scaler = build_grad_scaler(dtype, device)
    assert dtype is torch.float16 and scaler.is_enabled()
    model = toy_model().to(device)
    result = accumulate_gradients(
        model, CrossEntropyLoss(), [_batch(range(4))], step=0, device=device, amp_dtype=dtype, scaler=scaler
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    norm, _ = apply_gradients(optimizer, scaler, list(model.parameters()), clip_grad_norm=1.0)
    assert result.finite and norm > 0


def test_weight_decay_groups_skip_norms_and_biases() -> None:
    model = toy_model()
    optimizer = build_optimizer([model], OptimConfig(weight_decay=0.1))
    decayed = {id(p) for p in optimizer.param_groups[0]["params"]}
    undecayed = {id(p) for p in optimizer.param_groups[1]["params"]}
    assert optimizer.param_groups[1]["weight_decay"] == 0.0
    assert id(model.encoder.conv.weight) in decayed and id(model.encoder.conv.bias) in undecayed
    everything = build_optimizer(
        [model], OptimConfig(weight_decay=0.1, exclude_norm_and_bias_from_weight_decay=False)
    )
    assert len(everything.param_groups) == 1
