"""Same as `tssl extract-features`: write a frozen encoder's features for a dataset.

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.extract_features import main

if __name__ == "__main__":
    sys.exit(main())
