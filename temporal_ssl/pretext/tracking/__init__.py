"""Tracking (Wang & Gupta, ICCV 2015): moving-patch mining, a correlation tracker, the track cache, the pretext."""
