"""``benchmarks/pretexts.py``: the equal budget, the learning-rate choice, the run order and the table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import benchmarks.pretexts as tool
from temporal_ssl.engine.pretrain_config import load_pretrain_config


def _row(family: str, lr: float, seed: int, pretrained: float, random_init: float, *, held_out: float = 0.3,
         seconds: float = 60.0, samples: int = tool.DEFAULT_SAMPLES) -> dict:
    return {"family": family, "lr": lr, "seed": seed, "samples": samples, "encoder": "r3d_tiny",
            "top1": {"pretrained": pretrained, "random_init": random_init, "supervised_scratch": 0.1},
            "validation_top1": held_out, "margin_over_random": pretrained - random_init,
            "curve": {"loss": [4.0, 3.0, 2.5], "accuracy": None}, "pretrain_seconds": seconds}


def test_equal_budget_gives_small_batches_proportionally_more_steps() -> None:
    default = load_pretrain_config(tool.CONFIGS / "default.yaml", [])
    scenes = load_pretrain_config(tool.CONFIGS / "multiview_tcn.yaml", ["loader.batch_size=4"])
    accumulated = load_pretrain_config(tool.CONFIGS / "cvrl.yaml", ["train.grad_accum_steps=2"])
    assert tool.steps_for(default, tool.DEFAULT_SAMPLES) == default.train.max_steps == 2000
    assert tool.steps_for(scenes, tool.DEFAULT_SAMPLES) == 16_000
    assert tool.steps_for(accumulated, tool.DEFAULT_SAMPLES) == 1000


def test_learning_rate_is_chosen_on_held_out_accuracy_once_the_whole_grid_ran() -> None:
    grid = [1.5e-4, 5e-4, 1.5e-3]
    rows = [_row("cvrl", 5e-4, 0, 0.9, 0.1, held_out=0.20), _row("cvrl", 1.5e-4, 0, 0.1, 0.1, held_out=0.25)]
    assert tool.chosen_lr(rows, "cvrl", grid, seed=0) is None  # 1.5e-3 has not run
    rows.append(_row("cvrl", 1.5e-3, 0, 0.5, 0.1, held_out=0.25))
    rows.append(_row("cvrl", 5e-4, 1, 0.1, 0.1, held_out=0.99))  # another seed never decides
    # the test-split top-1 (0.9 at 5e-4) plays no part; equal held-out accuracy goes to the lower rate
    assert tool.chosen_lr(rows, "cvrl", grid, seed=0) == 1.5e-4


def test_plan_runs_every_family_first_then_the_grid_then_the_other_seeds_at_the_chosen_rate(
    tmp_path: Path,
) -> None:
    results = tmp_path / "results.json"
    args = tool.parse_args(["--families", "default", "opn", "--seeds", "0", "1", "--out", str(tmp_path)])
    planned = tool.plan(args.families, args, results)
    first = [next(planned) for _ in range(6)]
    # each family starts at the grid rate nearest its config's own (default 5e-4, opn 1.5e-4)
    assert first == [("default", 5e-4, 0), ("opn", 1.5e-4, 0), ("default", 1.5e-4, 0), ("default", 1.5e-3, 0),
                     ("opn", 5e-4, 0), ("opn", 1.5e-3, 0)]
    held_out = {1.5e-4: 0.2, 5e-4: 0.4, 1.5e-3: 0.3}
    rows = [_row("default", lr, 0, 0.3, 0.1, held_out=h) for lr, h in held_out.items()]
    rows += [_row("opn", lr, 0, 0.3, 0.1) for lr in (1.5e-4, 5e-4)]  # opn's grid is unfinished
    results.write_text(json.dumps({"rows": rows}))
    assert list(planned) == [("default", 5e-4, 1)]


def test_fixed_lr_runs_each_family_at_its_own_rate_only(tmp_path: Path) -> None:
    args = tool.parse_args(["--fixed-lr", "--families", "vcop", "cvrl", "--seeds", "0", "1",
                            "--out", str(tmp_path)])
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"rows": [_row("vcop", 1.5e-4, 0, 0.3, 0.1)]}))
    assert list(tool.plan(args.families, args, results)) == [("vcop", 1.5e-4, 0), ("cvrl", 5e-4, 0),
                                                             ("vcop", 1.5e-4, 1)]


def test_select_seed_must_be_run() -> None:
    with pytest.raises(SystemExit):
        tool.parse_args(["--seeds", "1", "2"])


def test_table_reports_the_chosen_rate_with_means_per_seed_values_and_minutes() -> None:
    grid = [1.5e-4, 5e-4]
    rows = [_row("cvrl", 5e-4, 0, 0.20, 0.12, held_out=0.4, seconds=60.0),
            _row("cvrl", 1.5e-4, 0, 0.50, 0.12, held_out=0.1),
            _row("cvrl", 5e-4, 1, 0.30, 0.14, seconds=180.0)]
    line = tool.table(rows, {"cvrl": grid}, select_seed=0).splitlines()[2]
    assert line.startswith("| multi-view: CVRL temporal views | r3d_tiny | **0.0005** (0.00015: 10.0, "
                           "0.0005: 40.0) | 25.0 (20.0 / 30.0) | 13.0 (12.0 / 14.0) | 10.0 (10.0 / 10.0) |")
    assert line.endswith("| +12.0 (+8.0 / +16.0) | loss 4 / 3 / 2.5 | 2.0 |")


def test_rows_of_another_budget_stay_in_the_file_but_out_of_the_benchmark(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    tool.save_row(results, _row("opn", 1.5e-4, 0, 0.2, 0.1, samples=19_200), [])
    tool.save_row(results, _row("opn", 1.5e-4, 0, 0.3, 0.1), [])
    assert [r["top1"]["pretrained"] for r in tool.read_rows(results, tool.DEFAULT_SAMPLES)] == [0.3]
    assert len(json.loads(results.read_text())["rows"]) == 2


def test_a_variant_is_refused_in_a_folder_made_with_other_overrides(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    tool.save_row(results, _row("cvrl", 5e-4, 0, 0.2, 0.1), ["augment.grayscale_prob=0.0"])
    tool.check_same_overrides(results, ["augment.grayscale_prob=0.0"])
    with pytest.raises(SystemExit, match="its own --out"):
        tool.main(["--families", "cvrl", "--out", str(tmp_path), "pretext.options.reversed_negatives=true"])


def test_curve_samples_the_log_at_a_tenth_half_and_end() -> None:
    history = [{"step": 20 * i, "loss": float(i)} for i in range(1, 21)]
    assert tool.curve(history, "loss") == [2.0, 10.0, 20.0]
    assert tool.curve(history, "accuracy") is None


def test_pretraining_seconds_add_up_the_segments_of_a_resumed_run(tmp_path: Path) -> None:
    first = [{"step": s, "elapsed_seconds": 10.0 * s} for s in (20, 40, 60)]
    resumed = [{"step": s, "elapsed_seconds": 10.0 * (s - 40)} for s in (60, 80)]  # the clock restarts at 40
    lines = [json.dumps(row) for row in first + resumed]
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines) + "\n{unfinished")
    assert tool.pretraining_seconds(tmp_path) == 600.0 + 400.0
    assert tool.pretraining_seconds(tmp_path / "missing") == 0.0


def test_report_only_prints_the_table_in_family_order_without_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [_row("cvrl", 5e-4, 0, 0.2, 0.1), _row("default", 5e-4, 0, 0.4, 0.1)]
    (tmp_path / "results.json").write_text(json.dumps({"overrides": [], "rows": rows}))
    assert tool.main(["--report-only", "--fixed-lr", "--out", str(tmp_path)]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [line.split(" | ")[0] for line in lines[1:]] == [
        "| order: VCOP clip order, clips joined in time (the main job)", "| multi-view: CVRL temporal views"]
    assert (tmp_path / "results.md").exists() and not (tmp_path / "default").exists()
