"""`python -m nagarik COMMAND`: the officials' command line (nagarik/officials/cli/)."""

import sys

from nagarik.officials.cli import main

sys.exit(main())
