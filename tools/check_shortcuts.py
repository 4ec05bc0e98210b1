"""Same as `tssl check-shortcuts`: test whether a corpus reveals time's direction in frame statistics.

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.check_shortcuts import main

if __name__ == "__main__":
    sys.exit(main())
