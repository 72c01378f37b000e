"""`python -m sim` is the `appsim` command."""

import signal
import sys

try:
    from sim.cli.app import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C while still loading: nothing was written
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second one must not cut the exit short
    print("interrupted; nothing was written", file=sys.stderr)
    code = 130
raise SystemExit(code)
