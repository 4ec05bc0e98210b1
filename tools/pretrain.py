"""Same as `tssl pretrain`: pretrain an encoder with a temporal pretext task (no arguments: the main job).

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.pretrain import main

if __name__ == "__main__":
    sys.exit(main())
