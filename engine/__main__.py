import signal
import sys


def run() -> None:
    """``imgorg``: until the command line is imported, a Ctrl-C ends it at once, without a
    traceback of the import it landed in: nothing has been written yet. From then on it is a
    KeyboardInterrupt, which ``engine.cli.main`` turns into its message and exit code 130; one
    landing after main has settled its run (a second Ctrl-C, or one held while children were
    started) ends it with that same code, never killed by the signal with the run half said."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from engine.cli import main
    from engine.errors import EXIT_INTERRUPTED

    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = main()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    sys.exit(code)


if __name__ == "__main__":
    run()
