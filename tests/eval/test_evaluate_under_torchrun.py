"""``evaluate(config, checkpoint)`` under two gloo ranks, as ``torchrun`` runs it: the same metrics as one
process, each rank on its own share, and one report written by rank 0 alone."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from temporal_ssl.eval import EvalConfig, evaluate, load_eval_config
from temporal_ssl.eval.results_json import scores_to_dict
from tests.losses.ranks import run_on_two_ranks

TINY = [
    "model.encoder=r3d_tiny",
    "model.encoder_options={widths: [4, 8, 8], temporal_strides: [1, 2, 2], spatial_strides: [2, 2, 2]}",
    "data.synthetic.num_pretrain_scenes=2",
    "data.synthetic.num_train_per_class=3",
    "data.synthetic.num_test_per_class=2",
    "data.synthetic.num_classes=2",
    "data.synthetic.num_frames=16",
    "data.workers=1",
    "device=cpu",
    "extraction.num_workers=0",
    "extraction.progress_bar=false",
    "extraction.cache=false",
    "linear_probe.features.test_views.num_clips=2",
    "linear_probe.features.train_views.num_clips=2",
    "linear_probe.weight_decay=0.01",
    "linear_probe.max_iterations=20",
]


def metrics_of(result) -> dict[str, dict]:
    return {f"{row.subject}/{row.protocol}": scores_to_dict(row.metrics) for row in result.results}


def rank_job(rank: int, config: EvalConfig, out: Path) -> None:
    """One rank's evaluation of a random encoder; saves its metrics and the report files it wrote."""
    result = evaluate(config, "random")
    torch.save({"metrics": metrics_of(result), "files": dict(result.files)}, out / f"rank{rank}.pt")


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> EvalConfig:
    root = tmp_path_factory.mktemp("eval_ranks")
    return load_eval_config("configs/eval/linear_probe.yaml", [*TINY, f"data.root={root / 'corpus'}"])


def test_two_ranks_get_the_single_process_metrics_and_rank_0_alone_writes(config: EvalConfig,
                                                                         tmp_path: Path) -> None:
    single = evaluate(replace(config, output_dir=str(tmp_path / "single")), "random")
    assert (tmp_path / "single" / "results.json").is_file()
    two = tmp_path / "two"
    two.mkdir()
    run_on_two_ranks(rank_job, tmp_path, replace(config, output_dir=str(two / "report")), two)
    ranks = [torch.load(two / f"rank{r}.pt", weights_only=False) for r in (0, 1)]
    assert single.results and [r["metrics"] for r in ranks] == [metrics_of(single)] * 2
    assert ranks[0]["files"]["json"] == str(two / "report" / "results.json")
    assert ranks[1]["files"] == {}  # rank 1 wrote no report
    assert (two / "report" / "results.json").is_file()
