"""`python -m pulse.cli …`: the same as the `pulse` command."""

import sys

from pulse.cli.main import main

sys.exit(main())
