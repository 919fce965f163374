"""`python -m nagarik COMMAND`: the officials' command line (nagarik/officials/cli/)."""

import sys

from nagarik.officials.cli import main
from nagarik.shared import log_privacy

log_privacy.install()  # the workers' and commands' logs: nothing personal
sys.exit(main())
