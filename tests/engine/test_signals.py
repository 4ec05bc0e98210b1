"""SIGTERM from outside: the process finishes its step, writes a loadable checkpoint and exits with 143.

(SIGINT, the same handler, is sent in-process by ``test_resume.py``.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from temporal_ssl.engine.checkpoint import CHECKPOINT_DIRNAME, list_checkpoints, load_checkpoint
from temporal_ssl.engine.metrics_log import read_metrics

WORKER = Path(__file__).with_name("train_worker.py")
NEVER = 100_000


def test_sigterm_saves_a_checkpoint_and_exits_cleanly(tmp_path: Path) -> None:
    signum = signal.SIGTERM
    process = subprocess.Popen(
        [
            sys.executable,
            str(WORKER),
            "--out",
            str(tmp_path),
            "--max-steps",
            str(NEVER),
            "--checkpoint-every",
            str(NEVER),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while len(read_metrics(tmp_path / "metrics.jsonl")) < 2:  # training is under way
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the worker never started training"
            time.sleep(0.2)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 128 + signum, stderr[-3000:]
    assert "Traceback" not in stderr
    saved = list_checkpoints(tmp_path / CHECKPOINT_DIRNAME)
    assert len(saved) == 1, "exactly one checkpoint: the one written on the signal"
    step, path = saved[0]
    assert 2 <= step < NEVER
    checkpoint = load_checkpoint(path)
    assert checkpoint["step"] == step and checkpoint["model"]
    assert [p.name for p in (tmp_path / CHECKPOINT_DIRNAME).iterdir()] == [
        path.name
    ]  # no temp file left over
