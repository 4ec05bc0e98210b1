"""Tracking (Wang & Gupta, ICCV 2015): moving-patch mining, correlation tracker, track cache, the pretext."""
