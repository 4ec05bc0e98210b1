"""Same as `tssl build-index`: probe a dataset's videos once into an index.

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.build_index import main

if __name__ == "__main__":
    sys.exit(main())
