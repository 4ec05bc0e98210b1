from __future__ import annotations

import pytest

from temporal_ssl.frame_table import FrameTable
from tests.helpers.reference import frame_index_at_time


def test_constant_rate_pts_compress_to_one_run_and_expand_back() -> None:
    pts = [512 * i for i in range(100)]
    table = FrameTable.from_pts(pts, 1 / 12800, [0, 50])
    assert table.pts_runs == ((0, 512, 100),)
    assert table.all_pts().tolist() == pts
    assert table.num_frames == 100
    assert table.time_seconds(25) == pytest.approx(1.0)


def test_variable_rate_pts_are_exact_per_frame() -> None:
    pts = [0, 40, 60, 120, 160, 170, 180, 400]
    table = FrameTable.from_pts(pts, 1e-3, [0, 3])
    assert [table.pts(i) for i in range(len(pts))] == pts
    assert frame_index_at_time(table, 0.119) == 2
    assert frame_index_at_time(table, 0.120) == 3
    assert frame_index_at_time(table, 10.0) == len(pts) - 1
    assert table.keyframe_at_or_before(2) == 0 and table.keyframe_at_or_before(7) == 3


def test_dict_round_trip_keeps_everything() -> None:
    table = FrameTable.from_pts([3, 5, 7, 20], 0.5, [0, 2], ["pyav", "decord"])
    assert FrameTable.from_dict(table.to_dict()) == table


def test_invalid_tables_are_rejected() -> None:
    with pytest.raises(ValueError, match="sorted and unique"):
        FrameTable.from_pts([0, 1, 2], 1.0, [2, 0])
    with pytest.raises(ValueError, match=r"keyframe_indices must lie in \[0, 3\)"):
        FrameTable.from_pts([0, 1, 2], 1.0, [5])
    with pytest.raises(IndexError, match="outside"):
        FrameTable.from_pts([0, 1, 2], 1.0, [0]).pts(3)
