"""Metrics file, loss-curve PNG, and the end-of-run "pretext at chance" check."""

from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

import pytest

from temporal_ssl.engine.health import final_accuracy, pretext_at_chance, warn_if_at_chance
from temporal_ssl.engine.metrics_log import (
    MetricsLog,
    WindowMeter,
    plot_loss_curve,
    read_metrics,
    truncate_metrics,
)
from temporal_ssl.errors import ConfigError


def test_metrics_log_appends_and_a_resume_drops_the_steps_after_its_checkpoint(tmp_path: Path) -> None:
    log = MetricsLog(tmp_path, total_steps=6, start_step=0, tensorboard=False, progress_bar=False)
    for step in range(1, 7):
        log.write({"step": step, "loss": 1.0 / step})
    log.close()
    (tmp_path / "metrics.jsonl").open("a").write('{"step": 7, "lo')  # a crash mid-line
    resumed = MetricsLog(tmp_path, total_steps=6, start_step=4, tensorboard=False, progress_bar=False)
    resumed.write({"step": 5, "loss": 0.5})
    resumed.close()
    assert [r["step"] for r in read_metrics(tmp_path / "metrics.jsonl")] == [1, 2, 3, 4, 5]


def test_progress_bar_carries_its_description(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for description, folder in (("pretrain", "a"), ("finetune", "b")):
        (tmp_path / folder).mkdir()
        log = MetricsLog(
            tmp_path / folder,
            total_steps=2,
            start_step=0,
            tensorboard=False,
            progress_bar=True,
            **({} if description == "pretrain" else {"description": description}),
        )
        log.advance(1)
        log.close()
        bar = capsys.readouterr().err
        assert bar.lstrip("\r").startswith(f"{description}:"), bar


def test_truncate_without_a_file_is_a_no_op(tmp_path: Path) -> None:
    truncate_metrics(tmp_path / "metrics.jsonl", after_step=3)
    assert not (tmp_path / "metrics.jsonl").exists()


def test_window_meter_fractions() -> None:
    meter = WindowMeter(started=time.perf_counter() - 2.0)
    meter.add({"loss": 2.0}, data_wait_seconds=0.5, samples=4, clips=8)
    meter.add({"loss": 4.0}, data_wait_seconds=0.5, samples=4, clips=8)
    means = meter.means()
    assert means["loss"] == 3.0
    assert means["data_wait_fraction"] == pytest.approx(0.5, rel=0.05)
    assert means["clips_per_second"] == pytest.approx(8.0, rel=0.05)
    assert means["samples_per_second"] == pytest.approx(4.0, rel=0.05)


def test_loss_curve_png_is_written(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text(
        "".join(json.dumps({"step": s, "loss": 2 / s, "accuracy": s / 10}) + "\n" for s in range(1, 11))
    )
    png = plot_loss_curve(metrics, tmp_path / "loss_curve.png")
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot_loss_curve(tmp_path / "missing.jsonl", tmp_path / "none.png") is None


def test_tensorboard_events_are_written_when_asked(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="optional dependency: the error path is tested below")
    log = MetricsLog(tmp_path, total_steps=2, start_step=0, tensorboard=True, progress_bar=False)
    log.write({"step": 1, "loss": 1.0})
    log.close()
    assert list((tmp_path / "tensorboard").glob("events.out.tfevents.*"))


def test_missing_tensorboard_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from temporal_ssl.engine import metrics_log

    real_import = builtins.__import__

    def no_tensorboard(name: str, *args: object, **kwargs: object) -> object:
        if name == "tensorboard":
            raise ImportError("No module named 'tensorboard'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "train.tensorboard = true needs the tensorboard package: pip install 'temporal_ssl[tensorboard]'"
        ),
    ):
        metrics_log.check_tensorboard_available()


@pytest.mark.parametrize("installed", [True, False])
def test_tensorboard_is_on_by_default_exactly_when_the_package_is_installed(
    monkeypatch: pytest.MonkeyPatch, installed: bool
) -> None:
    import importlib.util

    from temporal_ssl.engine import metrics_log

    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: object) -> object:
        if name == "tensorboard":
            return object() if installed else None
        return real_find_spec(name, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    assert metrics_log.tensorboard_wanted(None) is installed
    assert metrics_log.tensorboard_wanted(False) is False


def test_final_accuracy_averages_the_last_tenth_of_the_windows() -> None:
    records = [{"step": s, "accuracy": 0.5} for s in range(18)] + [
        {"step": 18, "accuracy": 0.9},
        {"step": 19, "accuracy": 0.7},
    ]
    assert final_accuracy(records) == pytest.approx(0.8)
    assert final_accuracy([{"step": 1, "loss": 1.0}]) is None


@pytest.mark.parametrize(
    ("accuracy", "classes", "expected"),
    [
        (0.52, 2, True),
        (0.60, 2, False),
        (0.19, 6, True),
        (0.30, 6, False),
        (None, 6, None),
        (0.9, None, None),
    ],
)
def test_pretext_at_chance(accuracy: float | None, classes: int | None, expected: bool | None) -> None:
    assert pretext_at_chance(accuracy, classes) is expected


def test_at_chance_logs_a_warning_with_the_fixes(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert warn_if_at_chance("vcop", 0.17, 6)
    assert "pretext 'vcop' ended at chance: accuracy 0.170 vs chance 0.167 (6 classes)" in caplog.text
    assert "lower optim.lr" in caplog.text
