"""Same as `tssl visualize`: draw what a pretext samples (PNG grid and JSON).

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.visualize import main

if __name__ == "__main__":
    sys.exit(main())
