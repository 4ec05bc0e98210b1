"""How a command reports a failure: one line on stderr and the exit code a shell or scheduler expects."""

from __future__ import annotations

import sys

from temporal_ssl.engine.signals import TrainingStopped


def report_failure(error: Exception) -> int:
    """Print ``error`` for a person; return ``128 + signal`` for training a signal stopped, else 2."""
    if isinstance(error, TrainingStopped):
        print(error, file=sys.stderr)
        return error.exit_code
    print(f"error: {error}", file=sys.stderr)
    return 2
