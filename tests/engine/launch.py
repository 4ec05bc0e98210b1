"""Run a test's worker script as one plain process or as several gloo processes under torchrun."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_worker(script: Path, *args: str, processes: int = 1, timeout: float = 300) -> None:
    """Run ``script args`` (under torchrun for several processes); a failure fails the test, with output."""
    launcher = [sys.executable]
    if processes > 1:
        launcher += ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes)]
    done = subprocess.run(
        [*launcher, str(script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
