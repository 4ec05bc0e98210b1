"""Same as `tssl mine-tracks`: mine tracked patches offline for the tracking pretext.

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.mine_tracks import main

if __name__ == "__main__":
    sys.exit(main())
