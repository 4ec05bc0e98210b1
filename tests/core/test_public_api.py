from __future__ import annotations

import subprocess
import sys

import temporal_ssl


def test_every_public_name_resolves() -> None:
    for name in temporal_ssl.__all__:
        assert getattr(temporal_ssl, name) is not None, name


def test_importing_io_does_not_import_the_engine() -> None:
    # Workers import temporal_ssl.io; the lazy front door must not drag the training engine in with it.
    code = "import sys, temporal_ssl.io; print('temporal_ssl.engine' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
