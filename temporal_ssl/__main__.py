"""``python -m temporal_ssl COMMAND ...``: the same as the ``tssl`` command."""

from temporal_ssl.cli import main

raise SystemExit(main())
