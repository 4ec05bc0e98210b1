"""Session fixtures: a small corpus of encoded moving-object videos with their true boxes, probed once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from temporal_ssl.io import probe_video
from temporal_ssl.pretext.tracking.track_mining import TrackMiningOptions
from temporal_ssl.types import VideoMetadata

from .moving_objects import render, write_video


@dataclass(frozen=True)
class MovingCorpus:
    """Encoded videos, their probes and the true boxes of object and distractor (full-size pixels)."""

    metadata: tuple[VideoMetadata, ...]
    boxes: dict[str, np.ndarray]
    distractor_boxes: dict[str, np.ndarray]


# Small tracks and a working size below the 160 x 120 videos, so box scaling back to full size is exercised.
CORPUS_OPTIONS = TrackMiningOptions.from_dict({"track_length": 20, "start_stride": 12, "max_width": 120,
                                               "max_height": 90})


@pytest.fixture(scope="session")
def moving_corpus(tmp_path_factory: pytest.TempPathFactory) -> MovingCorpus:
    root = tmp_path_factory.mktemp("moving_corpus")
    metadata, boxes, distractors = [], {}, {}
    motions = [(1.5, 1.0), (-1.5, 0.8), (1.2, -1.0), (0.0, 1.6)]
    starts = [(34.0, 34.0), (126.0, 40.0), (40.0, 90.0), (80.0, 30.0)]
    for index, (velocity, start) in enumerate(zip(motions, starts, strict=True)):
        video = render(20 + index, num_frames=45, velocity=velocity, start=start, growth=0.1, noise_std=1.0)
        path = write_video(root / f"video_{index}.mp4", video.frames)
        probed = probe_video(path)
        metadata.append(probed)
        boxes[probed.path] = video.boxes
        distractors[probed.path] = video.distractor_boxes
    return MovingCorpus(tuple(metadata), boxes, distractors)


@pytest.fixture(scope="session")
def corpus_dir(moving_corpus: MovingCorpus) -> Path:
    return Path(moving_corpus.metadata[0].path).parent
