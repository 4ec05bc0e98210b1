"""Same as `tssl recipes`: list and run the published recipes at their papers' settings.

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.recipes import main

if __name__ == "__main__":
    sys.exit(main())
