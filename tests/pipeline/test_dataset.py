"""The training dataset's short-video handling: videos it cannot use are named with the remedy that exists."""

from __future__ import annotations

import re

import numpy as np
import pytest

import temporal_ssl.pretext  # noqa: F401  (registers the pretexts)
from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.errors import DatasetError
from temporal_ssl.pipeline.dataset import PretextDataset, keep_long_enough, plan_sample
from temporal_ssl.registry import PRETEXTS
from temporal_ssl.types import VideoRecord
from tests.pretext.memory_records import memory_metadata

PATH = "memory/short.mp4"
OPTION_REMEDY = "set pretext.options.short_video to 'loop' or 'repeat_last'"
LENGTH_REMEDY = "use longer videos, or lower the pretext's frame counts"


def short_record(num_frames: int) -> VideoRecord:
    return VideoRecord(index=0, metadata=memory_metadata(num_frames, path=PATH))


def plan_error(name: str, options: dict[str, object], num_frames: int) -> str:
    with pytest.raises(ShortVideoError) as info:
        plan_sample(PRETEXTS.build(name, options), short_record(num_frames), np.random.default_rng(0))
    return str(info.value)


def test_a_pretext_without_short_video_option_is_told_to_use_longer_videos() -> None:
    # OPN's 4 frames at stride 4 span 13 frames; OPN always skips shorter videos (it has no short_video).
    message = plan_error("opn", {}, 10)
    assert message == (f"video '{PATH}' has 10 frames but an OPN tuple of pretext 'opn' needs 13; "
                       f"{LENGTH_REMEDY} (clips, frames per clip, strides or gaps)")
    assert "short_video" not in plan_error("shuffle_and_learn", {}, 5)


def test_the_short_video_option_is_suggested_where_it_would_help() -> None:
    message = plan_error("vcop", {}, 40)  # VCOP's tuple spans 3 x 16 + 2 x 8 = 64 frames
    assert message.startswith(f"video '{PATH}' has 40 frames but ")
    assert "of pretext 'vcop' needs 64" in message and OPTION_REMEDY in message


def test_the_option_is_not_suggested_where_no_policy_helps() -> None:
    # Time-contrastive has short_video, but wrapping clips cannot put a negative beyond 12 frames of any
    # anchor in a 13-frame video.
    message = plan_error("time_contrastive", {"pos_radius": 6, "neg_radius": 12}, 13)
    assert "of pretext 'time_contrastive' needs" in message
    assert LENGTH_REMEDY in message and "short_video" not in message


def test_the_dataset_names_the_video_its_plan_found_too_short() -> None:
    # Radii in seconds: the frame-count filter cannot see that 13 frames (0.52 s) hold no negative 1 s away.
    pretext = PRETEXTS.build("time_contrastive", {"pos_radius": 0.2, "neg_radius": 1.0,
                                                  "radius_unit": "seconds"})
    dataset = PretextDataset([short_record(13)], pretext)
    with pytest.raises(ShortVideoError, match=re.escape(f"video '{PATH}' has 13 frames but an anchor")):
        dataset.load_example(0)


def test_no_long_enough_video_names_the_remedy_of_the_pretext() -> None:
    with pytest.raises(DatasetError, match=re.escape(
            f"no video has the 13 frames pretext 'opn' needs (of 1 videos); {LENGTH_REMEDY}")):
        keep_long_enough([short_record(10)], PRETEXTS.build("opn", {}))
    with pytest.raises(DatasetError, match=re.escape(
            f"no video has the 64 frames pretext 'vcop' needs (of 1 videos); {OPTION_REMEDY}")):
        keep_long_enough([short_record(40)], PRETEXTS.build("vcop", {}))
