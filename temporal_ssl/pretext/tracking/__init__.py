"""Tracking (METHODS.md §4): moving-patch mining, a correlation tracker, the track cache, the pretext."""
