import contextlib
import os
import signal
import sys
from types import FrameType

_settled: list[int] = []  # the exit code, once main has settled the run


def _late_ctrl_c(signum: int, frame: FrameType | None) -> None:
    """Before main has settled the run, a KeyboardInterrupt; after, the exit with its code."""
    if not _settled:
        raise KeyboardInterrupt
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(_settled[0])


def run() -> None:
    """``imgorg``: until the command line is imported, a Ctrl-C ends it at once, without a
    traceback of the import it landed in: nothing has been written yet. From then on it is a
    KeyboardInterrupt, which ``engine.cli.main`` turns into its message and exit code 130; one
    landing after main has settled its run (a second Ctrl-C, or one held while children were
    started) ends it with that same code, never killed by the signal with the run half said."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from engine.cli import main
    from engine.errors import EXIT_INTERRUPTED

    signal.signal(signal.SIGINT, _late_ctrl_c)
    code: int | None = None
    while not _settled:
        try:
            if code is None:
                code = main()
            _settled.append(code)
        except KeyboardInterrupt:  # in main, or as it returned
            if code is None:
                code = EXIT_INTERRUPTED
    # Python's teardown (loky's shutdown among it) gives SIGINT back its default action, which
    # would end the process killed by the signal (exit -2); one it ignores stays ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(_settled[0])


if __name__ == "__main__":
    run()
