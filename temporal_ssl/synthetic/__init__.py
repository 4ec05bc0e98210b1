"""The embedded synthetic corpus: seeded videos whose action classes differ only in the direction of time.

``generate_corpus(root, CorpusOptions(...))`` writes (or reuses) labelled UCF101-style clips and an unlabelled
pool of multi-camera scenes with ground-truth boxes; ``check_video_time_shortcuts`` tells whether any corpus
lets trivial frame statistics reveal the direction of time. See ``layout`` for the files and ``boxes`` for the
box schema. Nothing here imports torch, so generator worker processes start quickly.
"""

from temporal_ssl.synthetic.boxes import CameraBoxes, ObjectTrack, SceneBoxes, boxes_path_for, load_boxes
from temporal_ssl.synthetic.corpus import CorpusOptions, generate_corpus
from temporal_ssl.synthetic.layout import CorpusPaths
from temporal_ssl.synthetic.motions import MAX_CLASSES, MOTION_CLASSES, MotionClass, class_names
from temporal_ssl.synthetic.scene import SceneOptions
from temporal_ssl.synthetic.shortcut_check import (
    ShortcutReport,
    check_time_shortcuts,
    check_video_time_shortcuts,
)

__all__ = [
    "MAX_CLASSES",
    "MOTION_CLASSES",
    "CameraBoxes",
    "CorpusOptions",
    "CorpusPaths",
    "MotionClass",
    "ObjectTrack",
    "SceneBoxes",
    "SceneOptions",
    "ShortcutReport",
    "boxes_path_for",
    "check_time_shortcuts",
    "check_video_time_shortcuts",
    "class_names",
    "generate_corpus",
    "load_boxes",
]
