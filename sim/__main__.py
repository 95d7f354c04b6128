"""`python -m sim` is the `zonesim` command."""

import sys

from sim.cli import main

sys.exit(main())
