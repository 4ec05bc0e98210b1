"""Export an encoder's weights: ``python tools/export.py CKPT --out FILE`` (``temporal_ssl.cli.export``)."""

from temporal_ssl.cli.export import main

raise SystemExit(main())
