"""The main job end to end: ``tools/pretrain.py --compare`` pretrains, probes against both baselines and
writes the report folder (``results.json``, ``summary.md``, the loss curve and the accuracy bars)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from temporal_ssl.eval.compare import synthetic_probe, synthetic_supervised
from tests.eval.test_end_to_end import CORPUS, TINY_ENCODER

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.ci
def test_pretrain_compare_writes_the_main_job_report(tmp_path: Path) -> None:
    run = tmp_path / "run"
    command = [
        sys.executable, str(REPO / "tools" / "pretrain.py"), "--compare", "--supervised-steps", "2",
        "--max-steps", "3", "--output-dir", str(run), f"data.root={tmp_path / 'corpus'}", *CORPUS,
        TINY_ENCODER, "train.device=cpu", "loader.batch_size=4", "loader.num_workers=0",
        "train.progress_bar=false",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr[-3000:]
    report = run / "report"
    results = json.loads((report / "results.json").read_text())
    assert set(results["top1"]) == {"pretrained", "random_init", "supervised_scratch"}
    assert all(0.0 <= v <= 1.0 for v in results["top1"].values())
    top1 = results["top1"]
    assert results["margin_over_random"] == pytest.approx(top1["pretrained"] - top1["random_init"])
    assert results["chance"] == pytest.approx(1 / 4) and results["pretrain_steps"] == 3
    assert results["supervised_steps"] == 2
    for name in ("summary.md", "loss_curve.png", "accuracy_bars.png", "evaluation/results.json"):
        assert (report / name).is_file(), name
    for name in ("pretrained", "random_init", "supervised_scratch"):
        assert f"| {name} | {100 * top1[name]:.1f} |" in done.stdout
    assert f"report: {report}/" in done.stdout
    summary = (report / "summary.md").read_text()
    assert summary.startswith("# vcop:") and "Margin over random init" in summary
    assert results["pretext"] == "vcop"


def test_supervised_baseline_trains_and_tests_on_the_probe_views() -> None:
    """The baseline trains on the clips the probe reads, and each clip spans most of a synthetic video."""
    views = synthetic_probe().features.test_views
    supervised = synthetic_supervised()
    assert (supervised.num_frames_per_clip, supervised.frame_stride) == (views.num_frames_per_clip,
                                                                         views.frame_stride)
    assert supervised.test_views == views
    span = (views.num_frames_per_clip - 1) * views.frame_stride + 1
    assert 2 * 32 // 3 <= span <= 32  # the classes differ in how motion unfolds over the whole video
