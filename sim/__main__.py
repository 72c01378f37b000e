"""`python -m sim` is the `appsim` command."""

import sys

try:
    from sim.cli.app import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C while still loading: nothing was written
    print("interrupted; nothing was written", file=sys.stderr)
    code = 130
raise SystemExit(code)
