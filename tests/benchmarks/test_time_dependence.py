"""The corpus-measures-time check: pair scores by hand, and the three supervised models end to end (tiny)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from benchmarks.time_dependence_study import (
    TIME_MODELS,
    check_time_dependence,
    pair_scores,
    partner_indices,
    time_dependence_table,
)
from temporal_ssl.eval.config import ExtractionConfig
from temporal_ssl.pipeline.records import DataConfig
from temporal_ssl.synthetic.corpus import CorpusOptions


def test_partners_follow_the_reversed_classes() -> None:
    assert partner_indices(["MoveLeft", "MoveRight", "Grow", "Shrink"]) == [1, 0, 3, 2]
    with pytest.raises(ValueError, match="Grow"):
        partner_indices(["MoveLeft", "MoveRight", "Grow"])


def test_pair_scores_by_hand() -> None:
    partners = [1, 0, 3, 2]
    scores = torch.tensor([
        [0.6, 0.3, 0.1, 0.0],  # class 0: right class
        [0.6, 0.3, 0.1, 0.0],  # class 1: right pair, wrong direction
        [0.5, 0.1, 0.2, 0.2],  # class 2: wrong pair; ties with its partner -> not within-pair correct
        [0.1, 0.0, 0.3, 0.6],  # class 3: right class
    ])
    pair, within = pair_scores(scores, torch.tensor([0, 1, 2, 3]), partners)
    assert pair == pytest.approx(3 / 4)
    assert within == pytest.approx(2 / 4)


def test_check_runs_every_model_on_a_tiny_corpus(tmp_path: Path) -> None:
    corpus = CorpusOptions(num_pretrain_scenes=0, num_train_per_class=2, num_test_per_class=1, num_classes=4)
    data = DataConfig(root=str(tmp_path / "corpus"), synthetic=corpus, workers=1)
    quiet = ExtractionConfig(num_workers=0, progress_bar=False)
    rows = check_time_dependence(data, max_steps=2, batch_size=4, num_workers=0, extraction=quiet)
    assert [r.name for r in rows] == [m.name for m in TIME_MODELS]
    for row in rows:
        assert 0.0 <= row.within_pair <= 1.0 and 0.0 <= row.video_top1 <= row.pair_top1 <= 1.0
        assert row.steps == 2
    assert "| 3D clip of 16 frames | r3d_tiny |" in time_dependence_table(rows)
