"""Same as `tssl export`: export an encoder's weights (torchvision or native format, with a FILE.json).

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.export import main

if __name__ == "__main__":
    sys.exit(main())
