import sys

from nagarik.cli import main

sys.exit(main())
