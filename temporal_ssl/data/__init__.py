"""What a corpus is, where clips go, and how frames are augmented.

* ``build_index`` / ``VideoIndex`` / ``load_index``: probe a corpus once (cached) into records; readers
  for the official layouts are registered in ``DATASETS`` (``folder``, ``list``, ``ucf101``, ``hmdb51``,
  ``kinetics``, ``ssv2``, ``multicamera``).
* ``clip_sampling``: pure functions deciding where clips go inside a video.
* ``transforms``: temporally consistent augmentation (``VideoAugmentation``) and evaluation crops.
"""

from __future__ import annotations

from temporal_ssl.data import sources
from temporal_ssl.data.clip_sampling import ShortVideoError
from temporal_ssl.data.index import VideoIndex, load_index
from temporal_ssl.data.index_build import build_index, index_from_listing
from temporal_ssl.data.quarantine import DroppedVideo, MissingVideo, QuarantinedVideo
from temporal_ssl.data.sources import SourceListing, VideoEntry
from temporal_ssl.data.transforms import VideoAugmentation, VideoEvalTransform

__all__ = [
    "DroppedVideo",
    "MissingVideo",
    "QuarantinedVideo",
    "ShortVideoError",
    "SourceListing",
    "VideoAugmentation",
    "VideoEntry",
    "VideoEvalTransform",
    "VideoIndex",
    "build_index",
    "index_from_listing",
    "load_index",
    "sources",
]
