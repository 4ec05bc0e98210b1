"""Dataset format readers, one module per on-disk format, registered in ``DATASETS`` by format name.

A reader is a function ``(root, *, annotations=None, <format options>) -> SourceListing`` that parses the
official annotation files and resolves videos on disk without opening them. Add a format of your own by
decorating such a function with ``@DATASETS.register("my_format")`` in a plugin module.
"""

from __future__ import annotations

from temporal_ssl.data.sources.folder_of_classes import folder
from temporal_ssl.data.sources.hmdb51 import hmdb51
from temporal_ssl.data.sources.kinetics_csv import kinetics
from temporal_ssl.data.sources.listing import VIDEO_EXTENSIONS, SourceListing, VideoEntry
from temporal_ssl.data.sources.multicamera import multicamera
from temporal_ssl.data.sources.ssv2_json import ssv2
from temporal_ssl.data.sources.ucf101 import ucf101
from temporal_ssl.data.sources.video_list import video_list

__all__ = [
    "VIDEO_EXTENSIONS",
    "SourceListing",
    "VideoEntry",
    "folder",
    "hmdb51",
    "kinetics",
    "multicamera",
    "ssv2",
    "ucf101",
    "video_list",
]
