"""The first of appsim's code to run as a program: Ctrl-C and SIGTERM end it quietly.

`python -m sim` imports the package `sim` before it looks for `sim.__main__`, and the
`appsim` script's first import leads there too; the package's first statement imports this
module, which installs handlers that exit at once (130, or 143 for SIGTERM) with one line
and no traceback, until `sim.cli.app.main` installs the handlers that clean up. It imports
only modules compiled into Python (`_signal`, `sys`): the standard `signal` imports enum,
functools and collections from disk, tens of milliseconds in which a Ctrl-C was a
traceback. Before this module Python itself is starting (its `site` module and the `.pth`
files of site-packages, such as an editable install's finder) and a Ctrl-C there is
answered by Python, not by appsim: see the README, "Ctrl-C as appsim starts".
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
    from types import FrameType
else:
    import _signal


def started_as_program() -> bool:
    """Whether this process is appsim the program (`python -m sim`, the `appsim` script)
    rather than a program that imports it: while `python -m` looks for the module it runs,
    which imports the package first, argv[0] is "-m"."""
    argv0 = (getattr(sys, "argv", None) or [""])[0]
    name = argv0.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".exe")
    return argv0 == "-m" or name == "appsim"


def install() -> None:
    """Until `main` installs its own: a signal ends appsim at once, quietly. A signal that
    was ignored when appsim started (`nohup`, a background job) stays ignored."""
    for signum in (_signal.SIGINT, _signal.SIGTERM):
        if _signal.getsignal(signum) is not _signal.SIG_IGN:
            _signal.signal(signum, _exit_at_start)


def _exit_at_start(signum: int, frame: "FrameType | None") -> None:
    for each in (_signal.SIGINT, _signal.SIGTERM):  # the exit must not be cut short
        _signal.signal(each, _signal.SIG_IGN)
    what = "terminated (SIGTERM)" if signum == _signal.SIGTERM else "interrupted"
    sys.stderr.write(f"{what}; nothing was written\n")
    raise SystemExit(128 + signum)  # unwinds without a traceback, wherever the start had got to
