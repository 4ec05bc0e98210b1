"""A corpus of files that are decoded linearly gives one log line per condition, not one per file."""

from __future__ import annotations

import logging

import pytest

from temporal_ssl.io import reader


def test_linear_fallback_is_logged_once_per_condition(caplog: pytest.LogCaptureFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "_FALLBACKS", {})
    with caplog.at_level(logging.INFO, logger="temporal_ssl.io.reader"):
        for number in range(50):
            reader.log_linear_fallback(f"/videos/{number}.mp4",
                                       "no installed backend seeks exactly on this file")
        reader.log_linear_fallback("/videos/7.mp4", "decord's frames disagree with the probe's frame table",
                                   level=logging.WARNING)
    lines = [r for r in caplog.records if r.name == "temporal_ssl.io.reader"]
    assert len(lines) == 2 and "/videos/0.mp4" in lines[0].getMessage()
    assert [r.levelno for r in lines] == [logging.INFO, logging.WARNING]
