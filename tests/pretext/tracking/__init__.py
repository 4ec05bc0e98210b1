"""Tests of the tracking pretext family (motion energy, miner, tracker, track cache, pretext)."""
