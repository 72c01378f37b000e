"""`python -m sim` is the `appsim` command."""

from .cli import main

raise SystemExit(main())
