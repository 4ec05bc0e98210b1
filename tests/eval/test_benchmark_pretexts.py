"""``benchmarks/pretexts.py``: the benchmark's table from result rows, and run times from the metrics log."""

from __future__ import annotations

import json
from pathlib import Path

import benchmarks.pretexts as tool


def _row(family: str, seed: int, pretrained: float, random_init: float, seconds: float) -> dict:
    return {"family": family, "seed": seed, "encoder": "r3d_tiny",
            "top1": {"pretrained": pretrained, "random_init": random_init, "supervised_scratch": 0.1},
            "margin_over_random": pretrained - random_init, "pretext_accuracy": None, "run_seconds": seconds}


def test_table_gives_means_per_seed_values_and_minutes() -> None:
    rows = [_row("cvrl", 0, 0.20, 0.12, 60.0), _row("cvrl", 1, 0.30, 0.14, 180.0)]
    line = tool.table(rows).splitlines()[2]
    assert line.startswith("| multi-view: CVRL temporal views | r3d_tiny | 25.0 (20.0 / 30.0) | "
                           "13.0 (12.0 / 14.0) |")
    assert "| +12.0 | - | 2.0 |" in line


def test_pretraining_seconds_come_from_the_last_logged_window(tmp_path: Path) -> None:
    lines = [json.dumps({"step": s, "elapsed_seconds": 10.0 * s}) for s in (20, 40, 60)]
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines) + "\n{unfinished")
    assert tool.pretraining_seconds(tmp_path) == 600.0
    assert tool.pretraining_seconds(tmp_path / "missing") == 0.0
