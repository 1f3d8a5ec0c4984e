import signal
import sys


def run() -> None:
    """``imgorg``: until the command line is ready to stop cleanly (``engine.cli.main``), a
    Ctrl-C ends it at once, without a traceback of the import it landed in: nothing has been
    written yet."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from engine.cli import main

    sys.exit(main())


if __name__ == "__main__":
    run()
