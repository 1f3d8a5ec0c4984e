import signal
import sys
from types import FrameType


def run() -> None:
    """``imgorg``: until the command line is imported, a Ctrl-C ends it at once, without a
    traceback of the import it landed in: nothing has been written yet. From then on it is a
    KeyboardInterrupt, which ``engine.cli.main`` turns into its message and exit code 130; one
    landing after main has stopped its run (a second Ctrl-C, or one held while children were
    started) changes nothing: the run ends with that same code, never killed by the signal with
    the run half said."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from engine.cli import main
    from engine.errors import EXIT_INTERRUPTED
    from engine.signals import has_stopped

    settled: list[int] = []  # the exit code, once main has returned it

    def late_ctrl_c(signum: int, frame: FrameType | None) -> None:
        if not settled and not has_stopped():
            raise KeyboardInterrupt

    signal.signal(signal.SIGINT, late_ctrl_c)
    code: int | None = None
    while not settled:
        try:
            if code is None:
                code = main()
            settled.append(code)
        except KeyboardInterrupt:  # in main, or as it returned
            if code is None:
                code = EXIT_INTERRUPTED
    # Python's teardown (loky's shutdown among it) gives SIGINT back its default action, which
    # would end the process killed by the signal (exit -2); one it ignores stays ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # CPython 3.11 marks the process to end killed by SIGINT when a KeyboardInterrupt was raised
    # in code compiled from a string (a dataclass's methods, made as a module is imported, say)
    # even once caught; the next string run clears the mark.
    exec("pass")
    sys.exit(settled[0])


if __name__ == "__main__":
    run()
