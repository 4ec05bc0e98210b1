"""The temporal pretext tasks; importing this package registers every built-in pretext in PRETEXTS."""

from temporal_ssl.pretext.adjacent import time_contrastive
from temporal_ssl.pretext.frame_order import arrow_of_time, opn, playback_speed, shuffle_and_learn, vcop
from temporal_ssl.pretext.multiview import multiview_tcn, temporal_views
from temporal_ssl.pretext.tracking import track_pairs

__all__ = [
    "arrow_of_time",
    "multiview_tcn",
    "opn",
    "playback_speed",
    "shuffle_and_learn",
    "temporal_views",
    "time_contrastive",
    "track_pairs",
    "vcop",
]
