"""Same as `tssl evaluate`: linear probe, fine-tuning, k-NN and retrieval on an action dataset.

Run with --help for the options.
"""

import sys

from temporal_ssl.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
