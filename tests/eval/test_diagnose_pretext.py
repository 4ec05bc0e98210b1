"""``benchmarks/diagnose_pretext.py``: a subset of the test split keeps every class."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.diagnose_pretext import every_class_in_turn


@dataclass
class _Record:
    label: int
    index: int


def test_a_subset_of_a_class_ordered_split_keeps_every_class_evenly() -> None:
    records = [_Record(label, i) for label in range(10) for i in range(100)]  # sorted by class, as on disk
    subset = every_class_in_turn(records, 300)
    assert len(subset) == 300
    assert sorted({r.label for r in subset}) == list(range(10))
    assert all(sum(r.label == c for r in subset) == 30 for c in range(10))
    assert [r.index for r in subset if r.label == 4] == list(range(30))  # each class's own order is kept


def test_uneven_classes_run_out_without_gaps() -> None:
    records = [_Record(0, i) for i in range(5)] + [_Record(1, i) for i in range(2)]
    subset = every_class_in_turn(records, 100)
    assert [(r.label, r.index) for r in subset] == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 2), (0, 3), (0, 4)]
