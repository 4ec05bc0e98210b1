"""Same as `tssl make-synthetic`: generate the embedded synthetic corpus.

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.make_synthetic import main

if __name__ == "__main__":
    sys.exit(main())
