"""List or run the packaged paper recipes (same as ``tssl recipes``); see temporal_ssl/cli/recipes.py."""
import sys

from temporal_ssl.cli.recipes import main

if __name__ == "__main__":
    sys.exit(main())
