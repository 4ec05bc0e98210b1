from __future__ import annotations

import pytest
import torch

from temporal_ssl.frame_table import FrameTable
from temporal_ssl.types import Batch, CameraStream, Example, SamplePlan, VideoMetadata, VideoRecord, ViewPlan


def _metadata(path: str = "a.mp4", num_frames: int = 10) -> VideoMetadata:
    return VideoMetadata(path, num_frames, 25.0, 32, 24, num_frames / 25, "h264",
                         frame_table=FrameTable.from_pts(range(num_frames), 0.04, [0]),
                         motion=tuple(float(i) for i in range(num_frames)))


def test_metadata_round_trips_through_dict() -> None:
    meta = _metadata()
    assert VideoMetadata.from_dict(meta.to_dict()) == meta


def test_metadata_rejects_a_frame_table_of_another_length() -> None:
    with pytest.raises(ValueError, match="lists 3 frames, metadata says 10"):
        table = FrameTable.from_pts(range(3), 0.04, [0])
        VideoMetadata("a.mp4", 10, 25.0, 32, 24, 0.4, "h264", frame_table=table)


def test_plan_groups_frames_by_camera_sorted_and_unique() -> None:
    record = VideoRecord(0, _metadata("c0.mp4"), cameras=(CameraStream(_metadata("c0.mp4")),
                                                          CameraStream(_metadata("c1.mp4"), 0.1)))
    plan = SamplePlan(record, (ViewPlan("anchor", (5, 1), camera=0), ViewPlan("positive", (5, 2), camera=1),
                               ViewPlan("negative", (1, 9), camera=0, instance=1)))
    assert plan.frames_by_camera() == {0: [1, 5, 9], 1: [2, 5]}
    as_json = plan.to_dict()
    assert as_json["views"][1]["video"] == "c1.mp4" and as_json["views"][1]["camera"] == 1


def test_plan_rejects_frames_beyond_the_video_and_uneven_views() -> None:
    record = VideoRecord(0, _metadata(num_frames=10))
    with pytest.raises(ValueError, match="asks for frame 10 of 'a.mp4', which has 10 frames"):
        SamplePlan(record, (ViewPlan("clip", (8, 9, 10)),))
    with pytest.raises(ValueError, match="same number of frames"):
        SamplePlan(record, (ViewPlan("clip", (1, 2)), ViewPlan("clip", (3,))))


def test_example_and_batch_check_their_shapes() -> None:
    example = Example(torch.zeros(2, 4, 3, 8, 8, dtype=torch.uint8), torch.tensor(1), torch.tensor([0, 0]),
                      ("clip", "clip"), 7)
    assert example.augment_groups == (0, 1)
    with pytest.raises(ValueError, match="2 views but instance_ids"):
        Example(torch.zeros(2, 4, 3, 8, 8), torch.tensor(1), torch.tensor([0]), ("a", "b"), 0)
    batch = Batch(torch.zeros(3, 2, 3, 4, 8, 8), torch.zeros(3, dtype=torch.long),
                  torch.tensor([[0, 0], [0, 1], [1, 1]]), torch.arange(3), ("a", "b"))
    ids = batch.global_instance_ids()
    # Views share an id exactly when they are in the same sample with the same instance.
    assert ids[0, 0] == ids[0, 1] and ids[1, 0] != ids[1, 1] and len(set(ids.flatten().tolist())) == 4
