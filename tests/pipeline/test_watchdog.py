"""run_with_deadline: a decode's result or error comes back as it is; a decode past its deadline becomes a
VideoDecodeError naming the file, and a process with too many stuck decodes stops with a clear error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from temporal_ssl.errors import DatasetError, VideoDecodeError
from temporal_ssl.pipeline import watchdog


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event the stuck decodes of a test wait on; set at teardown so no thread outlives the test."""
    event = threading.Event()
    yield event
    event.set()


def test_result_and_errors_come_back_unchanged() -> None:
    assert watchdog.run_with_deadline(lambda: 42, 5.0, "a.mp4") == 42
    assert watchdog.run_with_deadline(lambda: 7, None, "a.mp4") == 7

    def fail() -> None:
        raise VideoDecodeError("a.mp4", "damaged")

    with pytest.raises(VideoDecodeError, match="damaged"):
        watchdog.run_with_deadline(fail, 5.0, "a.mp4")


def test_a_decode_past_its_deadline_fails_naming_the_file(release: threading.Event,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchdog, "_abandoned", [])
    started = time.monotonic()
    with pytest.raises(VideoDecodeError, match="decoding hung") as caught:
        watchdog.run_with_deadline(release.wait, 0.2, "stuck.mp4")
    assert caught.value.path == "stuck.mp4" and time.monotonic() - started < 5


def test_too_many_stuck_decodes_stop_the_process_with_an_error(release: threading.Event,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watchdog, "_abandoned", [])
    monkeypatch.setattr(watchdog, "MAX_ABANDONED", 2)
    for name in ("a.mp4", "b.mp4"):
        with pytest.raises(VideoDecodeError):
            watchdog.run_with_deadline(release.wait, 0.05, name)
    with pytest.raises(DatasetError, match="2 decodes are stuck"):
        watchdog.run_with_deadline(lambda: 1, 5.0, "c.mp4")
    release.set()  # the stuck decodes finish: the process may decode again
    deadline = time.monotonic() + 5
    while any(t.is_alive() for t in watchdog._abandoned) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert watchdog.run_with_deadline(lambda: 1, 5.0, "c.mp4") == 1
