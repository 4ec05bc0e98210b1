"""Export an encoder's weights (see ``temporal_ssl.cli.export``): ``python tools/export.py CKPT --out FILE``."""

from temporal_ssl.cli.export import main

raise SystemExit(main())
